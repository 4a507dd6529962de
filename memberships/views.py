from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from customers.models import Customer
from events.services import Actor
from memberships import services
from memberships.forms import (
    AddonForm,
    AddonRemoveForm,
    MembershipAddForm,
    MembershipDeleteForm,
    MembershipForm,
    MembershipListForm,
    PlanChangeForm,
    ProductForm,
    ProductListForm,
    TransferForm,
)
from memberships.models import Membership, MembershipProducts, Product, membership_page
from network_admin.access import require_permission, staff_permission_required
from network_admin.pagination import (
    COUNT_CAP,
    SortKey,
    counted_tabs,
    list_tab,
    sampled_counts,
)
from network_admin.preferences import ROWS_PER_PAGE as PER_PAGE
from network_admin.preferences import keyset_page

# How many rows the membership page and the confirmation pages show of each related list.
BLOCK_ROWS = 10
NEWEST_FIRST = [SortKey("created_at", descending=True), SortKey("id", descending=True)]
BY_NAME = [SortKey("name"), SortKey("id")]


def _posted(request):
    return request.POST if request.method == "POST" else None


def _require_for_post(request, permission: str) -> None:
    """Pages anyone who may view them can open, but only `permission` may save."""
    if request.method == "POST":
        require_permission(request, permission)


def _show_errors(form, error: ValidationError) -> None:
    """Put a service's refusal beside the fields it names, and the rest above the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, errors in error.error_dict.items():
        form.add_error(name if name in form.fields else None, errors)


def _customer_from_query(request) -> Customer | None:
    """The customer named by ?customer=<id>; an id that names no customer is a 404."""
    value = request.GET.get("customer", "")
    if not value:
        return None
    if not value.isdigit():
        raise Http404
    return get_object_or_404(Customer.objects.select_related("user"), pk=value)


def _membership_or_404(pk) -> Membership:
    return membership_page.one_or_404(pk=pk)


# Memberships


def _status_tabs(memberships, *, searched: bool) -> tuple[list[dict], QuerySet, bool]:
    """The list's tabs with their counts ("more" marks a count that stopped at COUNT_CAP),
    `memberships` to page (`TabCounts.rows`), and whether those are a search of many rows, whose
    page is best found by its keys first (`paginate`).

    A search is read once for all its tabs instead (`sampled_counts`): counting each status on
    its own repeated the search seven times, 1.3 s for a last name 10,000 customers share.
    """
    if searched:
        statuses = {status: Q(status=status) for status in Membership.Status.values}
        counts = sampled_counts(memberships, {MembershipListForm.ALL: Q()} | statuses)
        many = counts.matches is None
        return counted_tabs(MembershipListForm.TABS, counts), counts.rows, many
    counts = memberships.status_counts(cap=COUNT_CAP)
    more = {status: count > COUNT_CAP for status, count in counts.items()}
    counts = {status: min(count, COUNT_CAP) for status, count in counts.items()}
    # Every membership has exactly one status, so "All" adds the others up.
    counts[MembershipListForm.ALL] = sum(counts.values())
    more[MembershipListForm.ALL] = any(more.values())
    tabs = [
        list_tab(key, label, counts[key], more=more[key])
        for key, label in MembershipListForm.TABS.items()
    ]
    return tabs, memberships, False


@staff_permission_required("memberships.view_membership")
@vary_on_headers("HX-Request")
def membership_list(request):
    form = MembershipListForm(request.GET)
    tab, search = form.state["tab"], form.state["q"]
    customer = _customer_from_query(request)
    memberships = Membership.objects.all()
    if customer is not None:
        memberships = memberships.for_customer(customer)
    if search:
        memberships = memberships.search(search)
    tabs, memberships, many_found = _status_tabs(memberships, searched=bool(search))
    if tab != MembershipListForm.ALL:
        memberships = memberships.filter(status=tab)
    scope = f"?customer={customer.pk}" if customer else ""
    page = keyset_page(
        request,
        memberships.select_related("customer__user", "plan"),
        NEWEST_FIRST,
        size=PER_PAGE,
        # The newest-first index and the status tabs' carry what a search filters on.
        keys_first=many_found,
    )
    ctx = {
        "section": "memberships",
        "tab": tab,
        "q": search,
        "customer": customer,
        "tabs": tabs,
        "page": page,
        "nothing_yet": tabs[0]["count"] == 0 and not search,
        "add_url": reverse("memberships:add") + scope,
        "clear_url": reverse("memberships:list") + scope,
    }
    template = "memberships/membership_list.html"
    if request.htmx and request.htmx.target == "membership-results":
        template += "#results"
    return render(request, template, ctx)


@staff_permission_required("memberships.add_membership")
@require_http_methods(["GET", "POST"])
def membership_add(request):
    customer = _customer_from_query(request)
    form = MembershipAddForm(
        _posted(request),
        initial={"customer": customer},
        addon_products=Product.objects.addons().active(),
    )
    if form.is_valid():
        try:
            membership = services.membership_create(
                actor=Actor.from_request(request),
                customer=form.cleaned_data["customer"],
                plan=form.cleaned_data["plan"],
                addons=form.addons(),
                status=form.cleaned_data["status"],
            )
        except ValidationError as error:
            _show_errors(form, error)
        else:
            messages.success(
                request, _("Membership %(reference)s added.") % {"reference": membership.reference}
            )
            return redirect("memberships:detail", pk=membership.pk)
    ctx = {"section": "memberships", "form": form, "customer": customer}
    return render(request, "memberships/membership_add.html", ctx)


def _render_detail(
    request, membership: Membership, products: MembershipProducts | None = None, **bound_forms
):
    """The membership page; `bound_forms` are the ones just posted, shown with their errors,
    and `products` what they offered (loaded here when not given)."""
    if products is None:
        products = membership.offered_products()
    can_change = request.user.has_perm("memberships.change_membership")
    form = bound_forms.get("form") or MembershipForm(instance=membership)
    if not can_change:
        form.disable()
    payments = membership.payment_summary(newest=BLOCK_ROWS)
    sites, site_count = membership.newest_sites(BLOCK_ROWS)
    ctx = {
        "section": "memberships",
        "membership": membership,
        "can_change": can_change,
        "form": form,
        "plan_form": bound_forms.get("plan_form")
        or PlanChangeForm(membership=membership, products=products),
        "addon_form": bound_forms.get("addon_form") or AddonForm(products=products),
        "transfer_form": TransferForm(membership=membership),
        "addon_lines": products.lines,
        "total_paid": payments.total_paid,
        "payments": payments.newest,
        "payment_count": payments.count,
        "sites": sites,
        "site_count": site_count,
        "events": membership.audit_events(BLOCK_ROWS),
    }
    return render(request, "memberships/membership_detail.html", ctx)


def _update(
    request, membership: Membership, values: dict, *, done: str = ""
) -> ValidationError | None:
    """Save `values` through the service and say so (`done`, if given); return the refusal."""
    try:
        changes = services.membership_update(
            actor=Actor.from_request(request), membership=membership, values=values
        )
    except ValidationError as error:
        # The service may have set the refused values on the object: show what is stored.
        membership.refresh_from_db()
        return error
    if not changes:
        messages.info(request, _("Nothing to save: no value was changed."))
    elif membership.status == Membership.Status.CANCELLED and "status" in changes:
        messages.success(request, _("Membership cancelled."))
    else:
        messages.success(request, done or _("Membership saved."))
    return None


@staff_permission_required("memberships.view_membership")
@require_http_methods(["GET", "POST"])
def membership_detail(request, pk):
    membership = _membership_or_404(pk)
    _require_for_post(request, "memberships.change_membership")
    form = MembershipForm(_posted(request), instance=membership)
    if form.is_valid():
        error = _update(request, membership, form.changed_values())
        if error is None:
            return redirect("memberships:detail", pk=membership.pk)
        _show_errors(form, error)
    return _render_detail(request, membership, form=form)


@staff_permission_required("memberships.change_membership")
@require_POST
def membership_make_lifetime(request, pk):
    membership = _membership_or_404(pk)
    error = _update(
        request, membership, {"expires_at": None}, done=_("The membership is now lifetime.")
    )
    if error is not None:
        messages.error(request, " ".join(error.messages))
    return redirect("memberships:detail", pk=membership.pk)


@staff_permission_required("memberships.change_membership")
@require_POST
def membership_change_plan(request, pk):
    membership = _membership_or_404(pk)
    products = membership.offered_products()
    form = PlanChangeForm(request.POST, membership=membership, products=products)
    if form.is_valid():
        plan = form.cleaned_data["plan"]
        values = {"plan": plan}
        if form.cleaned_data["take_terms"]:
            values |= {
                "amount": plan.amount,
                "recurring": plan.recurring,
                "duration": plan.duration,
                "duration_unit": plan.duration_unit,
            }
        done = _("The plan is now %(plan)s.") % {"plan": plan}
        error = _update(request, membership, values, done=done)
        if error is None:
            return redirect("memberships:detail", pk=membership.pk)
        _show_errors(form, error)
    return _render_detail(request, membership, products, plan_form=form)


def _set_addons(request, membership: Membership, addons: dict) -> ValidationError | None:
    """Make the add-ons exactly `addons` and say so; return the refusal, if any."""
    try:
        changes = services.membership_set_addons(
            actor=Actor.from_request(request), membership=membership, addons=addons
        )
    except ValidationError as error:
        return error
    if changes:
        messages.success(request, _("Add-ons saved."))
    else:
        messages.info(request, _("Nothing to save: the add-ons are unchanged."))
    return None


@staff_permission_required("memberships.change_membership")
@require_POST
def membership_addon_set(request, pk):
    """Add a package or service, or change how many of it the membership has."""
    membership = _membership_or_404(pk)
    products = membership.offered_products()
    form = AddonForm(request.POST, products=products)
    if form.is_valid():
        addons = membership.addon_quantities()
        addons[form.cleaned_data["product"]] = form.cleaned_data["quantity"]
        error = _set_addons(request, membership, addons)
        if error is None:
            return redirect("memberships:detail", pk=membership.pk)
        _show_errors(form, error)
    return _render_detail(request, membership, products, addon_form=form)


@staff_permission_required("memberships.change_membership")
@require_POST
def membership_addon_remove(request, pk):
    membership = _membership_or_404(pk)
    form = AddonRemoveForm(request.POST)
    addons = membership.addon_quantities()
    if not form.is_valid() or addons.pop(form.cleaned_data["product"], None) is None:
        messages.error(request, _("That product is not an add-on of this membership."))
    elif error := _set_addons(request, membership, addons):
        messages.error(request, " ".join(error.messages))
    return redirect("memberships:detail", pk=membership.pk)


@staff_permission_required("memberships.change_membership")
@require_http_methods(["GET", "POST"])
def membership_transfer(request, pk):
    """GET with ?to= shows what moves; POST moves the membership and its sites."""
    membership = _membership_or_404(pk)
    data = _posted(request) or (request.GET if "to" in request.GET else None)
    form = TransferForm(data, membership=membership)
    if request.method == "POST" and form.is_valid():
        to_customer = form.cleaned_data["to"]
        try:
            services.membership_transfer(
                actor=Actor.from_request(request), membership=membership, to_customer=to_customer
            )
        except services.MembershipError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                _("Membership %(reference)s and its sites now belong to %(customer)s.")
                % {"reference": membership.reference, "customer": to_customer},
            )
        return redirect("memberships:detail", pk=membership.pk)
    ctx = {
        "section": "memberships",
        "membership": membership,
        "form": form,
        "to_customer": form.cleaned_data["to"] if form.is_valid() else None,
        "sites": membership.sites.all()[:BLOCK_ROWS],
        "site_count": membership.sites.count(),
        "payment_count": membership.payments.count(),
    }
    return render(request, "memberships/membership_confirm_transfer.html", ctx)


@staff_permission_required("memberships.delete_membership")
@require_http_methods(["GET", "POST"])
def membership_delete(request, pk):
    membership = _membership_or_404(pk)
    site_count = membership.sites.count()
    form = MembershipDeleteForm(_posted(request), has_sites=site_count > 0)
    if form.is_valid():
        choice = form.cleaned_data["sites"]
        counts = services.membership_delete(
            actor=Actor.from_request(request), membership=membership, sites=choice
        )
        _say_deleted(request, membership, counts, choice)
        return redirect(f"{reverse('memberships:list')}?customer={membership.customer_id}")
    ctx = {
        "section": "memberships",
        "membership": membership,
        "form": form,
        "sites": membership.sites.all()[:BLOCK_ROWS],
        "site_count": site_count,
        "payments": membership.payments.all()[:BLOCK_ROWS],
        "payment_count": membership.payments.count(),
    }
    return render(request, "memberships/membership_confirm_delete.html", ctx)


def _say_deleted(request, membership: Membership, counts: dict, sites: str) -> None:
    params = {"reference": membership.reference, "sites": counts["sites"]}
    if sites == services.DELETE_SITES:
        text = ngettext(
            "Membership %(reference)s and its %(sites)d site were deleted.",
            "Membership %(reference)s and its %(sites)d sites were deleted.",
            counts["sites"],
        )
    else:
        text = ngettext(
            "Membership %(reference)s was deleted; its %(sites)d site stays with the customer.",
            "Membership %(reference)s was deleted; its %(sites)d sites stay with the customer.",
            counts["sites"],
        )
    messages.success(request, text % params)
    if counts["payments"]:
        kept = ngettext(
            "Its %(count)d payment is kept as an accounting record.",
            "Its %(count)d payments are kept as accounting records.",
            counts["payments"],
        )
        messages.info(request, kept % {"count": counts["payments"]})


# Products


@staff_permission_required("memberships.view_product")
@vary_on_headers("HX-Request")
def product_list(request):
    form = ProductListForm(request.GET)
    tab = form.state["tab"]
    counts = dict(
        Product.objects.order_by().values("type").annotate(n=Count("pk")).values_list("type", "n")
    )
    counts[ProductListForm.ALL] = sum(counts.values())
    products = Product.objects.all()
    if tab != ProductListForm.ALL:
        products = products.filter(type=tab)
    ctx = {
        "section": "products",
        "tab": tab,
        "tabs": [
            list_tab(key, label, counts.get(key, 0)) for key, label in ProductListForm.TABS.items()
        ],
        "page": keyset_page(request, products, BY_NAME, size=PER_PAGE),
    }
    template = "memberships/product_list.html"
    if request.htmx and request.htmx.target == "product-results":
        template += "#results"
    return render(request, template, ctx)


def _usage(product: Product) -> dict:
    count = product.usage_count(cap=COUNT_CAP)
    return {"count": min(count, COUNT_CAP), "more": count > COUNT_CAP}


@staff_permission_required("memberships.add_product")
@require_http_methods(["GET", "POST"])
def product_add(request):
    form = ProductForm(_posted(request))
    if form.is_valid():
        try:
            product = services.product_create(
                actor=Actor.from_request(request), **form.cleaned_data
            )
        except ValidationError as error:
            _show_errors(form, error)
        else:
            messages.success(request, _("Product %(name)s added.") % {"name": product.name})
            return redirect("memberships:product_detail", pk=product.pk)
    ctx = {"section": "products", "form": form, "product": None}
    return render(request, "memberships/product_form.html", ctx)


@staff_permission_required("memberships.view_product")
@require_http_methods(["GET", "POST"])
def product_detail(request, pk):
    product = get_object_or_404(Product, pk=pk)
    _require_for_post(request, "memberships.change_product")
    form = ProductForm(_posted(request), instance=product)
    if form.is_valid():
        try:
            changes = services.product_update(
                actor=Actor.from_request(request), product=product, values=form.changed_values()
            )
        except ValidationError as error:
            product.refresh_from_db()
            _show_errors(form, error)
        except services.MembershipError as error:
            form.add_error("type", str(error))
        else:
            if changes:
                messages.success(request, _("Product %(name)s saved.") % {"name": product.name})
            else:
                messages.info(request, _("Nothing to save: no value was changed."))
            return redirect("memberships:product_detail", pk=product.pk)
    if not request.user.has_perm("memberships.change_product"):
        form.disable()
    ctx = {
        "section": "products",
        "form": form,
        "product": product,
        "usage": _usage(product),
    }
    return render(request, "memberships/product_form.html", ctx)


@staff_permission_required("memberships.change_product")
@require_POST
def product_deactivate(request, pk):
    product = get_object_or_404(Product, pk=pk)
    services.product_update(
        actor=Actor.from_request(request), product=product, values={"active": False}
    )
    messages.success(
        request,
        _("%(name)s is deactivated: it stays on its memberships but can't be chosen any more.")
        % {"name": product.name},
    )
    return redirect("memberships:product_detail", pk=product.pk)


@staff_permission_required("memberships.delete_product")
@require_http_methods(["GET", "POST"])
def product_delete(request, pk):
    product = get_object_or_404(Product, pk=pk)
    if request.method == "POST":
        try:
            services.product_delete(actor=Actor.from_request(request), product=product)
        except services.MembershipError as error:
            messages.error(request, str(error))
            return redirect("memberships:product_delete", pk=product.pk)
        messages.success(request, _("Product %(name)s deleted.") % {"name": product.name})
        return redirect("memberships:products")
    ctx = {
        "section": "products",
        "product": product,
        "usage": _usage(product),
    }
    return render(request, "memberships/product_confirm_delete.html", ctx)
