from functools import partial

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from customers.charts import customer_spending
from customers.emails import (
    read_verification_token,
    send_set_password_email,
    send_verification_email,
)
from customers.exports import csv_lines
from customers.forms import (
    AccountForm,
    AddCustomerForm,
    BulkActionForm,
    CustomerForm,
    CustomerListForm,
    CustomFieldFormSet,
    DeleteCustomersForm,
    NoteForm,
    VipForm,
)
from customers.models import FEW_ONLINE, Customer, CustomerQuerySet, Note
from customers.services import (
    CustomerError,
    customer_create,
    customer_create_for_user,
    customer_update,
    customers_exported,
    customers_set_vip,
    deletion_summary,
    email_verified,
    login_recorded,
    note_add,
    note_delete,
    verification_email_send,
)
from customers.services import customer_delete as customer_delete_service
from events.services import Actor
from memberships.models import newest_memberships_of_customer
from network_admin.access import require_permission, staff_permission_required
from network_admin.client import client_ip
from network_admin.pagination import (
    SortKey,
    counted_tabs,
    sorted_by_values,
    tab_counts,
)
from network_admin.preferences import keyset_page, remember_view, remembered_view, safe_next
from network_admin.prepared import PRIMARY_KEY, prepared
from network_admin.services import login_failed
from network_admin.views import set_language_cookie

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
    "name": [SortKey("first_name"), SortKey("last_name"), SortKey("id")],
}
VIEW_PREFERENCE = "customers.view"
# A search sorted by name that matches at most this many customers sorts just its matches;
# one that matches more walks the name index and filters as it goes, which finds a page sooner
# the more customers match (among a million, a page of the 10,118 Fischers took 1,300 rows,
# 1.5 ms; just reading all of them to sort took 17-34 ms). A word few customers share would be
# walked through most of the index.
NAME_SORTED_MATCHES = 3_000
# The Online tab's count, made on every view of the list, reads each online customer's row
# (their rows have just changed, so the index can't answer alone): ~0.8 ms of PostgreSQL with
# 500 online and twice that with 1,000 on a fast machine, on a list that serves hundreds of
# views a second. Each process keeps the count this long: a customer's `last_seen` is written
# at most once a minute, so the count is up to a minute behind anyway.
ONLINE_COUNT_SECONDS = 5


# The tabs and sorts whose index carries what a search and the tab filter on:
# customer_newest_idx (with when each customer was last seen), customer_vip_newest_idx and
# customer_name_search_idx. By name, a search of many is walked in the All tab only (a tab's
# few are sorted by value: NAME_SORTED_MATCHES).
INDEX_WALKS = {
    ("all", "newest"),
    ("all", "oldest"),
    ("vip", "newest"),
    ("vip", "oldest"),
    ("online", "newest"),
    ("online", "oldest"),
    ("all", "name"),
}


def _tab_filters() -> dict[str, Q]:
    return {"all": Q(), "vip": Q(vip=True), "online": CustomerQuerySet.online_filter()}


def _customers_for(search: str):
    return Customer.objects.search(search) if search else Customer.objects.all()


@staff_permission_required("customers.view_customer")
@vary_on_headers("HX-Request")
def customer_list(request):
    form = CustomerListForm(request.GET, default_view=remembered_view(request, VIEW_PREFERENCE))
    tab, search, sort, view = (form.value(name) for name in ("tab", "q", "sort", "view"))
    # Searched once: an IP address search looks its customers up first.
    customers = _customers_for(search)
    # One Online cutoff for the counts and the page, even across a minute's turn.
    filters = _tab_filters()
    # The Online tab is counted exactly further than the others: how it is read depends on it.
    online_cap, online_kept = {"online": FEW_ONLINE}, {"online": ONLINE_COUNT_SECONDS}
    counts = tab_counts(
        customers, filters, searched=bool(search), caps=online_cap, kept_for=online_kept
    )
    few_online = tab == "online" and not counts[tab][1]
    rows = counts.rows.filter(filters[tab]).as_listed()
    keys = CUSTOMER_SORTS[sort]
    # The few online customers are found by `last_seen` and sorted: walking the sort's index
    # testing `last_seen` took 135 ms for 25 of 500 online among a million (a plan made on
    # statistics that don't know who is online now), finding them first 4.6 ms with 1,000.
    if few_online or (search and sort == "name" and counts[tab][0] <= NAME_SORTED_MATCHES):
        rows, keys = sorted_by_values(rows, keys)
    # A search of many customers, and the Online tab when many are online, walk the index of
    # their tab and order, which carries what they filter on (INDEX_WALKS): 2,300 online among
    # a million were 16-19 ms of table rows to read for a page, 1 ms of the index alone. A
    # page of the few online customers is sorted before their users are joined.
    walks_index = counts.matches is None and (tab, sort) in INDEX_WALKS
    keys_first = few_online or (walks_index and (bool(search) or tab == "online"))
    page = keyset_page(request, rows, keys, keys_first=keys_first)
    tabs = counted_tabs(CustomerListForm.TABS, counts)
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
    return remember_view(request, VIEW_PREFERENCE, fallback=reverse("customers:list"))


BULK_PERMISSIONS = {
    "mark_vip": "customers.change_customer",
    "remove_vip": "customers.change_customer",
    "export": "customers.export_customers",
    "delete": "customers.delete_customer",
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
    back = safe_next(request, reverse("customers:list"))
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return redirect(back)
    action, customers = form.cleaned_data["action"], form.cleaned_data["customers"]
    require_permission(request, BULK_PERMISSIONS[action])
    actor = Actor.from_request(request)
    if action == "export":
        return _csv_response(request, customers, filters={"selected": len(customers)})
    if action == "delete":
        query = urlencode({"customers": [customer.pk for customer in customers]}, doseq=True)
        return redirect(f"{reverse('customers:delete_many')}?{query}")
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
    customers = _customers_for(search).filter(_tab_filters()[tab])
    return _csv_response(request, customers, filters={"tab": tab, "q": search})


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
@require_http_methods(["GET", "POST"])
def customer_detail(request, pk):
    customer = _customer_page.one_or_404(pk=pk)
    if request.method == "POST":
        require_permission(request, "customers.change_customer")
    forms = CustomerPageForms(customer, request.POST if request.method == "POST" else None)
    if forms.is_bound and forms.is_valid():
        try:
            saved = _save_customer(request, customer, forms)
        except ValidationError as error:
            forms.customer.add_error(None, error)
        else:
            if saved:
                messages.success(request, _("Customer saved."))
            else:
                messages.info(request, _("Nothing changed."))
            return redirect("customers:detail", pk=customer.pk)
    return render(request, "customers/customer_detail.html", _detail_context(customer, forms))


class CustomerPageForms:
    """The forms behind the customer page's one Save button, validated and saved together."""

    def __init__(self, customer: Customer, data=None):
        self.is_bound = data is not None
        self.customer = CustomerForm(data, instance=customer, prefix="customer")
        self.account = AccountForm(data, instance=customer.user, prefix="account")
        self.custom_fields = CustomFieldFormSet(data, instance=customer, prefix="fields")

    def is_valid(self) -> bool:
        return all(
            [self.customer.is_valid(), self.account.is_valid(), self.custom_fields.is_valid()]
        )

    @property
    def open_tab(self) -> str:
        """The Customer Options tab to show: the first one with a problem in it."""
        if any(self.customer.errors.get(name) for name in CustomerForm.BILLING_FIELDS):
            return "billing"
        if self.custom_fields.total_error_count():
            return "fields"
        return "general"


def _save_customer(request, customer: Customer, forms: CustomerPageForms) -> dict:
    data = forms.customer.cleaned_data
    # ModelForm validation already set the new values on the instances; reload the stored ones
    # so the service sees (and records) the real old values.
    customer.refresh_from_db()
    customer.user.refresh_from_db()
    was = customer.email_verification
    changes = customer_update(
        actor=Actor.from_request(request),
        customer=customer,
        values={name: data[name] for name in CustomerForm.Meta.fields},
        user_values=forms.account.cleaned_data,
        custom_fields=forms.custom_fields.as_dict(),
        activate_pending_memberships=data["activate_pending_memberships"],
    )
    pending = Customer.EmailVerification.PENDING
    if was != pending and data["email_verification"] == pending:
        _send_verification(request, customer)
    return changes


def _send_verification(request, customer: Customer) -> None:
    customer.refresh_from_db()
    verification_email_send(
        actor=Actor.from_request(request),
        customer=customer,
        send=partial(send_verification_email, request, customer),
    )


DETAIL_ROWS = 5
LOGIN_ROWS = 10
NOTE_ROWS = 20


@prepared
def _customer_page():
    """The customer whose primary key is `pk`, with what the customer page shows of them."""
    return Customer.objects.with_newest_rows(
        logins=LOGIN_ROWS,
        notes=NOTE_ROWS,
        payments=DETAIL_ROWS,
        sites=DETAIL_ROWS,
        events=DETAIL_ROWS,
    ).filter(pk=PRIMARY_KEY)


def _detail_context(customer: Customer, forms: CustomerPageForms) -> dict:
    total_spent, chart = customer_spending(customer)
    return {
        "section": "customers",
        "customer": customer,
        "forms": forms,
        "total_spent": total_spent,
        "chart": chart,
        "memberships": newest_memberships_of_customer(DETAIL_ROWS, customer=customer.pk),
        "payments": customer.newest_payments,
        "sites": customer.newest_sites,
        "events": customer.newest_events,
        "logins": customer.newest_logins,
        "notes": customer.newest_notes,
        "note_form": NoteForm(),
    }


@staff_permission_required("customers.change_customer")
@require_POST
def customer_vip(request, pk):
    """The VIP switch on its own: instant with htmx, a normal form post without JavaScript."""
    customer = get_object_or_404(Customer.objects.select_related("user"), pk=pk)
    # Same field name as on the Save form, so the one checkbox serves both.
    form = VipForm(request.POST, prefix="customer")
    form.is_valid()
    vip = form.cleaned_data.get("vip", False)
    customer_update(actor=Actor.from_request(request), customer=customer, values={"vip": vip})
    message = _("Marked as VIP.") if vip else _("No longer a VIP.")
    if request.htmx:
        return render(request, "customers/_vip_status.html", {"message": message})
    messages.success(request, message)
    return redirect("customers:detail", pk=customer.pk)


@staff_permission_required("customers.change_customer")
@require_POST
def customer_resend_verification(request, pk):
    customer = get_object_or_404(Customer.objects.select_related("user"), pk=pk)
    try:
        _send_verification(request, customer)
    except CustomerError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, _("Verification email sent to %(email)s.") % {"email": customer.email}
        )
    return redirect("customers:detail", pk=customer.pk)


@staff_permission_required("customers.change_customer")
@require_POST
def customer_note_add(request, pk):
    customer = get_object_or_404(Customer, pk=pk)
    form = NoteForm(request.POST)
    if form.is_valid():
        note_add(
            actor=Actor.from_request(request), customer=customer, text=form.cleaned_data["text"]
        )
        messages.success(request, _("Note added."))
    else:
        messages.error(request, " ".join(form.errors["text"]))
    return redirect(reverse("customers:detail", args=[customer.pk]) + "#notes")


@staff_permission_required("customers.change_customer")
@require_POST
def customer_note_delete(request, pk, note_pk):
    note = get_object_or_404(Note.objects.select_related("customer__user"), pk=note_pk, customer=pk)
    note_delete(actor=Actor.from_request(request), note=note)
    messages.success(request, _("Note deleted."))
    return redirect(reverse("customers:detail", args=[pk]) + "#notes")


@staff_permission_required("customers.delete_customer")
@require_http_methods(["GET", "POST"])
def customer_delete(request, pk):
    customer = get_object_or_404(Customer.objects.select_related("user"), pk=pk)
    return _delete_customers(request, [customer])


@staff_permission_required("customers.delete_customer")
@require_http_methods(["GET", "POST"])
def customers_delete(request):
    """Delete selected customers: the same confirmation and rules as deleting one."""
    ids = request.POST.getlist("customers") or request.GET.getlist("customers")
    customers = list(
        Customer.objects.select_related("user").filter(pk__in=[i for i in ids if i.isdigit()])
    )
    if not customers:
        messages.error(request, _("Select at least one customer first."))
        return redirect("customers:list")
    return _delete_customers(request, customers)


def _delete_customers(request, customers: list[Customer]):
    form = DeleteCustomersForm(
        request.POST if request.method == "POST" else None, customers=customers
    )
    if form.is_bound and form.is_valid():
        with transaction.atomic():
            for customer in customers:
                customer_delete_service(
                    actor=Actor.from_request(request),
                    customer=customer,
                    related=form.cleaned_data["related"],
                    move_to=form.cleaned_data["move_to"],
                )
        messages.success(
            request,
            ngettext(
                "Customer %(names)s deleted.",
                "%(count)d customers deleted: %(names)s.",
                len(customers),
            )
            % {"count": len(customers), "names": ", ".join(c.name for c in customers)},
        )
        return redirect("customers:list")
    ctx = {
        "section": "customers",
        "customers": customers,
        "summaries": [(customer, deletion_summary(customer)) for customer in customers],
        "form": form,
    }
    return render(request, "customers/customer_confirm_delete.html", ctx)


class LoginView(auth_views.LoginView):
    """Django's login, plus the trace of a customer's real login and an event for each failed one.

    An admin switching to a customer never passes through here, so a switch is never
    recorded as the customer's login. django-axes counts the failures (per username and IP)
    and, past the limit, shows its lockout page instead of this form.
    """

    def form_invalid(self, form):
        username, password = (form.cleaned_data.get(name) for name in ("username", "password"))
        # Only an attempt that reached authentication failed: empty or malformed fields didn't.
        if username and password:
            login_failed(request=self.request, username=username)
        return super().form_invalid(form)

    def form_valid(self, form):
        response = super().form_valid(form)
        # The language an admin chose follows them to every browser they sign in from.
        language = form.get_user().preferences.get("language")
        if language in dict(settings.LANGUAGES):
            set_language_cookie(response, language)
        customer = Customer.objects.filter(user=form.get_user()).first()
        if customer is not None:
            login_recorded(
                customer=customer,
                ip_address=client_ip(self.request),
                user_agent=self.request.headers.get("User-Agent", ""),
            )
        return response


def verify_email(request, token):
    """The link from a verification email, opened by the customer while logged in."""
    outcome = read_verification_token(token, user=request.user)
    if outcome.customer is not None:
        email_verified(actor=Actor.from_request(request), customer=outcome.customer)
    return render(
        request,
        "customers/verify_email.html",
        {"outcome": outcome},
        status=200 if outcome.customer is not None else 400,
    )
