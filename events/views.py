from django.shortcuts import render

from events.models import Event
from network_admin.access import staff_permission_required

LIST_ROWS = 50


@staff_permission_required("events.view_event")
def event_list(request):
    # The *_repr snapshots carry the names, so no join is needed (and the targets may be gone).
    ctx = {
        "section": "events",
        "events": Event.objects.all()[:LIST_ROWS],
    }
    return render(request, "events/event_list.html", ctx)
