"""Which requests may read from a replica, and read-your-writes for the admin who just saved.

A GET of one of the read-only pages below reads from a healthy replica, unless the browser
changed something in the last `REPLICA_PIN_SECONDS`: every request that wrote (and every POST)
sets a short-lived cookie that keeps that browser's reads on the primary, so the page an admin
opens right after saving shows what they saved even while the replicas catch up. The cookie
travels with the browser, so it works whichever app server answers next.

If a replica fails in the middle of a page, or doesn't have what the page looks for (yet), the
page is answered again from the primary: these pages only read, so running them twice is
harmless.

The middleware comes after LoginRequiredMiddleware, so the signed-in user is always loaded from
the primary, before replica reads begin.
"""

import math
import time

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError
from django.http import Http404

from network_admin import db_router
from network_admin.db_router import ReadRouting, current_routing, routing

PIN_COOKIE = "read_primary"
READ_ONLY_METHODS = frozenset({"GET", "HEAD"})

# The pages that may read from a replica: lists (with their search), detail pages, exports and
# the dashboard. Forms and the confirmation pages of deletes, refunds and transfers are not here:
# a decision about money or about deleting is always shown the primary's data.
REPLICA_PAGES = frozenset(
    {
        "home",
        "customers:list",
        "customers:detail",
        "customers:export",
        "memberships:list",
        "memberships:detail",
        "memberships:products",
        "memberships:product_detail",
        "payments:list",
        "payments:detail",
        "sites:list",
        "sites:detail",
        "events:list",
        "events:detail",
    }
)


class ReplicaRoutingMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not settings.DATABASE_REPLICAS:
            return self.get_response(request)
        state = ReadRouting()
        with routing(state):
            response = self.get_response(request)
        if response.streaming:
            # An export reads its rows while it is sent, after this method has returned.
            response.streaming_content = _streamed_with(state, response.streaming_content)
        if state.wrote or request.method not in READ_ONLY_METHODS:
            response.set_cookie(
                PIN_COOKIE,
                f"{time.time():.3f}",
                max_age=math.ceil(settings.REPLICA_PIN_SECONDS),
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        state = current_routing()
        if (
            state is not None
            and request.method in READ_ONLY_METHODS
            and request.resolver_match.view_name in REPLICA_PAGES
            and not _pinned(request)
        ):
            state.replica_reads = True

    def process_exception(self, request, exception):
        state = current_routing()
        if state is None or state.used_replica is None:
            return None
        if isinstance(exception, OperationalError | InterfaceError):
            problem = " ".join(str(exception).split())
            db_router.replica_health.mark_unusable(state.used_replica, f"a query failed: {problem}")
        elif not isinstance(exception, Http404):
            return None
        # Not found may only mean the replica hasn't received the row yet (someone created it a
        # moment ago): the primary has the last word either way.
        state.replica_reads = False
        state.database = DEFAULT_DB_ALIAS
        match = request.resolver_match
        return match.func(request, *match.args, **match.kwargs)


def _pinned(request) -> bool:
    try:
        wrote_at = float(request.COOKIES.get(PIN_COOKIE, ""))
    except ValueError:
        return False
    return 0 <= time.time() - wrote_at < settings.REPLICA_PIN_SECONDS


def _streamed_with(state: ReadRouting, chunks):
    chunks = iter(chunks)
    while True:
        with routing(state):
            chunk = next(chunks, None)
        if chunk is None:
            return
        yield chunk
