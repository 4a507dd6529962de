from django.shortcuts import render

from memberships.models import Membership, Product
from network_admin.access import staff_permission_required

LIST_ROWS = 50


@staff_permission_required("memberships.view_membership")
def membership_list(request):
    ctx = {
        "section": "memberships",
        "memberships": Membership.objects.select_related("customer__user", "plan")[:LIST_ROWS],
    }
    return render(request, "memberships/membership_list.html", ctx)


@staff_permission_required("memberships.view_product")
def product_list(request):
    ctx = {
        "section": "products",
        "products": Product.objects.all()[:LIST_ROWS],
    }
    return render(request, "memberships/product_list.html", ctx)
