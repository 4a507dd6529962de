import copy

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from customers.models import Customer
from events.services import Actor
from network_admin.access import require_permission, staff_permission_required
from network_admin.pagination import (
    SortKey,
    counted_tabs,
    sorted_by_values,
    tab_counts,
)
from network_admin.preferences import VIEWS, keyset_page, remember_view, remembered_view
from sites import services
from sites.forms import OWNER_FIELDS, SiteActiveForm, SiteForm, SiteListForm
from sites.models import Site, site_page

NEWEST_FIRST = [SortKey("created_at", descending=True), SortKey("id", descending=True)]
TAB_FILTERS = {
    "all": Q(),
    "customer_owned": Q(type=Site.Type.CUSTOMER_OWNED),
    "templates": Q(type=Site.Type.SITE_TEMPLATE),
    "pending": Q(type=Site.Type.PENDING),
}
# Tabs of the sites a network has few of, whatever its size: those waiting to be created and
# the templates. Walked in date order by the type's index, a search of many sites reads the
# tab's sites one by one until a page of them matches, and a common owner's name matches none
# (the pending sites have no owner): 27 ms for 15,200 pending sites among a million. The
# search's matches and the tab, each found by its own index, meet in a few rows to sort: 8.7 ms.
FEW_OF_A_KIND_TABS = {"templates", "pending"}
VIEW_PREFERENCE = "sites.view"
# The site page shows this many of the newest events about the site.
SITE_EVENTS = 10


@staff_permission_required("sites.view_site")
@vary_on_headers("HX-Request")
def site_list(request):
    form = SiteListForm(request.GET)
    state = form.state(default_view=remembered_view(request, VIEW_PREFERENCE))
    owner = None
    sites = Site.objects.all()
    if state["customer"]:
        owner = get_object_or_404(Customer.objects.select_related("user"), pk=state["customer"])
        sites = sites.filter(customer=owner)
    if state["q"]:
        sites = sites.search(state["q"])
    counts = tab_counts(sites, TAB_FILTERS, searched=bool(state["q"]))
    # A search that matches few sites (an exact count), or any search in a tab of the rarer
    # types, sorts just its matches (sorted_by_values); one that matches more than the count
    # cap walks the newest sites' index, which carries the searched columns but not the type
    # (keys_first: see paginate).
    few = bool(state["q"]) and (not counts[state["tab"]][1] or state["tab"] in FEW_OF_A_KIND_TABS)
    rows = counts.rows.filter(TAB_FILTERS[state["tab"]]).with_owner()
    if few:
        page = keyset_page(request, *sorted_by_values(rows, NEWEST_FIRST))
    else:
        walks_index = bool(state["q"]) and state["tab"] == "all"
        page = keyset_page(request, rows, NEWEST_FIRST, keys_first=walks_index)
    ctx = {
        "section": "sites",
        **state,
        "owner": owner,
        "views": VIEWS,
        "tabs": counted_tabs(SiteListForm.TABS, counts),
        "page": page,
        "network_is_empty": not (counts["all"][0] or state["q"] or owner),
    }
    template = "sites/site_list.html"
    if request.htmx and request.htmx.target == "site-results":
        template += "#results"
    return render(request, template, ctx)


@staff_permission_required("sites.view_site")
@require_POST
def site_view_preference(request):
    return remember_view(request, VIEW_PREFERENCE, fallback=reverse("sites:list"))


@staff_permission_required("sites.add_site")
@require_http_methods(["GET", "POST"])
def site_add(request):
    form = SiteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            site = services.site_create(actor=Actor.from_request(request), **form.changes())
        except (services.SiteError, ValidationError) as error:
            _show_refusal(form, error)
        else:
            messages.success(request, _("Site %(title)s added.") % {"title": site.title})
            return redirect("sites:detail", pk=site.pk)
    return render(request, "sites/site_form.html", {"section": "sites", "form": form})


@staff_permission_required("sites.view_site")
@require_http_methods(["GET", "POST"])
def site_detail(request, pk):
    site = site_page.one_or_404(pk=pk)
    can_change = request.user.has_perm("sites.change_site")
    if request.method == "POST":
        require_permission(request, "sites.change_site")
    form = SiteForm(request.POST or None, site=site, read_only=not can_change)
    if request.method == "POST" and form.is_valid():
        changes = form.changes()
        new_owner = services.site_transfer_target(site, changes)
        if new_owner is not None:
            # Moving a site to another customer is confirmed first; nothing is saved yet.
            also = [form.fields[name].label for name in changes if name not in OWNER_FIELDS]
            ctx = {
                "section": "sites",
                "site": site,
                "form": form,
                "new_owner": new_owner,
                "also_saved": also,
            }
            return render(request, "sites/site_confirm_transfer.html", ctx)
        if _saved(request, site, form):
            return redirect("sites:detail", pk=site.pk)
    return _detail_page(request, site, form)


@staff_permission_required("sites.change_site")
@require_POST
def site_transfer(request, pk):
    """Save the site page's changes that the admin confirmed although they move the site."""
    site = site_page.one_or_404(pk=pk)
    form = SiteForm(request.POST, site=site)
    if form.is_valid() and _saved(request, site, form):
        return redirect("sites:detail", pk=site.pk)
    return _detail_page(request, site, form)


@staff_permission_required("sites.change_site")
@require_POST
def site_set_active(request, pk):
    site = site_page.one_or_404(pk=pk)
    form = SiteActiveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose whether the site is active or inactive."))
        return redirect("sites:detail", pk=site.pk)
    values = {"active": form.cleaned_data["active"]}
    services.site_update(actor=Actor.from_request(request), site=site, values=values)
    if request.htmx:
        return render(request, "sites/site_detail.html#active", {"site": site, "saved": True})
    messages.success(request, _("Site activated.") if site.active else _("Site deactivated."))
    return redirect("sites:detail", pk=site.pk)


@staff_permission_required("sites.delete_site")
@require_http_methods(["GET", "POST"])
def site_delete(request, pk):
    site = site_page.one_or_404(pk=pk)
    if request.method == "POST":
        try:
            services.site_delete(actor=Actor.from_request(request), site=site)
        except services.SiteError as error:
            messages.error(request, str(error))
            return redirect("sites:detail", pk=site.pk)
        messages.success(request, _("Site %(title)s deleted.") % {"title": site.title})
        return redirect("sites:list")
    return render(request, "sites/site_confirm_delete.html", {"section": "sites", "site": site})


def _saved(request, site: Site, form: SiteForm) -> bool:
    """Save the form's changes to `site`; on a refusal, put the reason on the form."""
    # Changed on a copy: a refused change must not show on the page as if it had been made.
    edited = copy.copy(site)
    try:
        changes = services.site_update(
            actor=Actor.from_request(request), site=edited, values=form.changes()
        )
    except (services.SiteError, ValidationError) as error:
        _show_refusal(form, error)
        return False
    if "customer" in changes and edited.customer is not None:
        messages.success(request, _("Site moved to %(owner)s.") % {"owner": edited.customer})
    elif changes:
        messages.success(request, _("Site saved."))
    else:
        messages.info(request, _("Nothing to save: the site is unchanged."))
    return True


def _show_refusal(form: SiteForm, error: Exception) -> None:
    # A ValidationError names its fields; a SiteError is about the site as a whole.
    form.add_error(None, error if isinstance(error, ValidationError) else str(error))


def _detail_page(request, site: Site, form: SiteForm):
    ctx = {
        "section": "sites",
        "site": site,
        "form": form,
        "events": site.audit_entries(SITE_EVENTS),
    }
    return render(request, "sites/site_detail.html", ctx)
