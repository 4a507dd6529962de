from django.shortcuts import render

from network_admin.access import staff_permission_required
from payments.models import Payment

LIST_ROWS = 50


@staff_permission_required("payments.view_payment")
def payment_list(request):
    ctx = {
        "section": "payments",
        "payments": Payment.objects.select_related("customer__user")[:LIST_ROWS],
    }
    return render(request, "payments/payment_list.html", ctx)
