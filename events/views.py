from django.shortcuts import render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from customers.models import Customer
from events.forms import EventFilterForm
from events.models import Event, event_page
from network_admin.access import staff_permission_required
from network_admin.pagination import AFTER, BEFORE, FIRST, LAST, SortKey, paginate
from network_admin.preferences import ROWS_PER_PAGE as PER_PAGE

# Newest first; the id breaks ties between events of the same instant (event_recent_idx).
NEWEST_FIRST = [SortKey("created_at", descending=True), SortKey("id", descending=True)]


def _page_wanted(params) -> tuple[str, str]:
    """(direction, cursor) of the page asked for; the parameters are named after the directions."""
    for direction in (AFTER, BEFORE):
        if params.get(direction):
            return direction, params[direction]
    return (LAST if params.get("page") == "last" else FIRST), ""


# Both pages are read-only on purpose: nothing in the product changes or deletes an event.
@staff_permission_required("events.view_event")
@require_GET
@vary_on_headers("HX-Request")
def event_list(request):
    form = EventFilterForm(request.GET, user=request.user)
    direction, cursor = _page_wanted(request.GET)
    # The *_repr snapshots carry the names, so no join is needed (and the targets may be gone).
    events = form.filter(Event.objects.with_object_exists())
    page = paginate(
        events,
        NEWEST_FIRST,
        size=PER_PAGE,
        direction=direction,
        cursor=cursor,
        # An action's page is found by its keys alone, then its links checked. Planned with
        # those checks on every event it might read, the action's index and a walk of all
        # events testing the action looked about as dear, and the walk was taken: 120 ms for
        # the oldest page of the commonest action, whose oldest events are far apart.
        keys_first=bool(form.cleaned_data.get("action")),
    )
    customer_id = form.cleaned_data.get("customer")
    ctx = {
        "section": "events",
        "form": form,
        "page": page,
        "filtered": form.is_filtered,
        "customer_id": customer_id,
        "customer": customer_id
        and Customer.objects.select_related("user").filter(pk=customer_id).first(),
    }
    template = "events/event_list.html"
    if request.htmx and request.htmx.target == "event-results":
        template += "#results"
    return render(request, template, ctx)


@staff_permission_required("events.view_event")
@require_GET
def event_detail(request, pk):
    event = event_page.one_or_404(pk=pk)
    ctx = {"section": "events", "event": event, "changes": event.changed_fields()}
    return render(request, "events/event_detail.html", ctx)
