from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from customers.emails import send_set_password_email
from customers.exports import csv_lines
from customers.forms import AddCustomerForm, BulkActionForm, CustomerListForm, ViewPreferenceForm
from customers.models import Customer
from customers.services import (
    customer_create,
    customer_create_for_user,
    customers_exported,
    customers_set_vip,
)
from events.services import Actor
from network_admin.access import staff_permission_required
from network_admin.pagination import AFTER, BEFORE, FIRST, LAST, SortKey, capped_count, paginate

# The account page lists at most this many of each kind of row.
ACCOUNT_ROWS = 50


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


CUSTOMER_SORTS = {
    "newest": [SortKey("created_at", descending=True), SortKey("id", descending=True)],
    "oldest": [SortKey("created_at"), SortKey("id")],
    "last_login": [
        SortKey("last_login", descending=True, nullable=True),
        SortKey("id", descending=True),
    ],
    "name": [SortKey("user__first_name"), SortKey("user__last_name"), SortKey("id")],
}
PER_PAGE_DEFAULT, PER_PAGE_MAX = 24, 100
VIEW_PREFERENCE = "customers.view"


def _per_page(request) -> int:
    try:
        return min(max(int(request.GET.get("per_page", PER_PAGE_DEFAULT)), 1), PER_PAGE_MAX)
    except ValueError:
        return PER_PAGE_DEFAULT


def _page_direction(request) -> tuple[str, str]:
    if request.GET.get("after"):
        return AFTER, request.GET["after"]
    if request.GET.get("before"):
        return BEFORE, request.GET["before"]
    return (LAST if request.GET.get("page") == "last" else FIRST), ""


def _customers_for(tab: str, search: str):
    customers = {
        "all": Customer.objects.all(),
        "vip": Customer.objects.vip(),
        "online": Customer.objects.online(),
    }[tab]
    return customers.search(search) if search else customers


@staff_permission_required("customers.view_customer")
@vary_on_headers("HX-Request")
def customer_list(request):
    form = CustomerListForm(
        request.GET, default_view=request.user.preferences.get(VIEW_PREFERENCE, "grid")
    )
    tab, search, sort, view = (form.value(name) for name in ("tab", "q", "sort", "view"))
    direction, cursor = _page_direction(request)
    page = paginate(
        _customers_for(tab, search).select_related("user").with_membership_count(),
        CUSTOMER_SORTS[sort],
        size=_per_page(request),
        direction=direction,
        cursor=cursor,
    )
    tabs = [
        {"key": key, "label": label, "count": count, "is_estimate": is_estimate}
        for key, label in CustomerListForm.TABS.items()
        for count, is_estimate in [capped_count(_customers_for(key, search))]
    ]
    ctx = {
        "section": "customers",
        "form": form,
        "tab": tab,
        "q": search,
        "sort": sort,
        "view": view,
        "sorts": CustomerListForm.SORTS,
        "views": CustomerListForm.VIEWS,
        "tabs": tabs,
        "page": page,
        "network_is_empty": not page.rows and not search and not Customer.objects.exists(),
        "bulk_actions": _bulk_actions_for(request.user),
    }
    template = "customers/customer_list.html"
    if request.htmx and request.htmx.target == "customer-results":
        template += "#results"
    return render(request, template, ctx)


@staff_permission_required("customers.view_customer")
@require_POST
def customer_view_preference(request):
    """Remember cards or rows for this admin (a display preference: no event)."""
    form = ViewPreferenceForm(request.POST)
    if form.is_valid():
        request.user.preferences[VIEW_PREFERENCE] = form.cleaned_data["view"]
        request.user.save(update_fields=["preferences"])
    return redirect(_safe_next(request, reverse("customers:list")))


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


BULK_PERMISSIONS = {
    "mark_vip": "customers.change_customer",
    "remove_vip": "customers.change_customer",
    "export": "customers.export_customers",
}


def _bulk_actions_for(user) -> dict:
    return {
        action: label
        for action, label in BulkActionForm.ACTIONS.items()
        if user.has_perm(BULK_PERMISSIONS[action])
    }


@staff_permission_required("customers.view_customer")
@require_POST
def customer_bulk(request):
    form = BulkActionForm(request.POST)
    back = _safe_next(request, reverse("customers:list"))
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return redirect(back)
    action, customers = form.cleaned_data["action"], form.cleaned_data["customers"]
    if not request.user.has_perm(BULK_PERMISSIONS[action]):
        raise PermissionDenied
    actor = Actor.from_request(request)
    if action == "export":
        return _csv_response(request, customers, filters={"selected": len(customers)})
    vip = action == "mark_vip"
    changed = customers_set_vip(actor=actor, customers=customers, vip=vip)
    message = (
        ngettext("%(count)d customer marked VIP.", "%(count)d customers marked VIP.", changed)
        if vip
        else ngettext(
            "%(count)d customer is no longer VIP.",
            "%(count)d customers are no longer VIP.",
            changed,
        )
    )
    messages.success(request, message % {"count": changed})
    return redirect(back)


@staff_permission_required("customers.view_customer", "customers.export_customers")
@require_GET
def customer_export(request):
    form = CustomerListForm(request.GET)
    tab, search = form.value("tab"), form.value("q")
    return _csv_response(request, _customers_for(tab, search), filters={"tab": tab, "q": search})


def _csv_response(request, customers, *, filters: dict):
    # Counted and recorded before the first byte leaves: an export is audited even if the
    # download is interrupted.
    customers_exported(
        actor=Actor.from_request(request), filters=filters, row_count=customers.count()
    )
    response = StreamingHttpResponse(csv_lines(customers), content_type="text/csv; charset=utf-8")
    filename = f"customers-{timezone.now():%Y%m%d-%H%M%S}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@staff_permission_required("customers.add_customer")
@require_http_methods(["GET", "POST"])
def customer_add(request):
    form = AddCustomerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            customer = _create_customer(request, form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Customer %(name)s added.") % {"name": customer.name})
            return redirect("customers:detail", pk=customer.pk)
    ctx = {"section": "customers", "form": form}
    return render(request, "customers/customer_add.html", ctx)


def _create_customer(request, data: dict) -> Customer:
    actor = Actor.from_request(request)
    if data["mode"] == AddCustomerForm.EXISTING:
        return customer_create_for_user(actor=actor, user=data["existing_user"], vip=data["vip"])
    customer = customer_create(
        actor=actor,
        username=data["username"],
        email=data["email"],
        password=data["password"] or None,
        first_name=data["first_name"],
        last_name=data["last_name"],
        vip=data["vip"],
    )
    if not data["password"]:
        send_set_password_email(request, customer.user)
    return customer


@staff_permission_required("customers.view_customer")
def customer_detail(request, pk):
    customer = get_object_or_404(Customer.objects.select_related("user"), pk=pk)
    return render(
        request, "customers/customer_detail.html", {"section": "customers", "customer": customer}
    )
