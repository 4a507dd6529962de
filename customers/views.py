from django.shortcuts import render

from customers.models import Customer
from network_admin.access import staff_permission_required

# The account page lists at most this many of each kind of row.
ACCOUNT_ROWS = 50
# Temporary: the customer list proper replaces this (see customer_list).
LIST_ROWS = 50


def account(request):
    """A customer's own page: their sites, memberships and payments, read-only.

    Everything is looked up through the logged-in user, so nobody can see another's data.
    """
    customer = Customer.objects.select_related("user").filter(user=request.user).first()
    if customer is None:
        return render(request, "customers/account.html", {"customer": None})
    ctx = {
        "customer": customer,
        "sites": customer.sites.all()[:ACCOUNT_ROWS],
        "memberships": customer.memberships.select_related("plan")[:ACCOUNT_ROWS],
        "payments": customer.payments.all()[:ACCOUNT_ROWS],
    }
    return render(request, "customers/account.html", ctx)


@staff_permission_required("customers.view_customer")
def customer_list(request):
    # A placeholder until the real customer list (tabs, search, cards) lands.
    ctx = {
        "section": "customers",
        "customers": Customer.objects.select_related("user")[:LIST_ROWS],
    }
    return render(request, "customers/customer_list.html", ctx)
