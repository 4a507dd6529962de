from django.shortcuts import render

from network_admin.access import staff_permission_required
from sites.models import Site

LIST_ROWS = 50


@staff_permission_required("sites.view_site")
def site_list(request):
    ctx = {
        "section": "sites",
        "sites": Site.objects.select_related("customer__user")[:LIST_ROWS],
    }
    return render(request, "sites/site_list.html", ctx)
