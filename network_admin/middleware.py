"""Request handling shared by every page."""

import logging
from urllib.parse import urlsplit

from django.contrib.auth import middleware as auth_middleware
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404
from django.shortcuts import resolve_url
from django.utils import timezone
from django_htmx.http import HttpResponseClientRedirect

logger = logging.getLogger(__name__)


class LoginRequiredMiddleware(auth_middleware.LoginRequiredMiddleware):
    """Deny by default: anonymous visitors are sent to log in, from every page that isn't marked
    `login_not_required`.

    An htmx request (a fragment of a page whose session has expired) is answered with
    HX-Redirect instead, so the browser goes to the login page rather than showing it inside the
    fragment. After logging in, the visitor comes back to the page they were on, not to the
    fragment's URL (which may be a POST-only action).
    """

    def handle_no_permission(self, request, view_func):
        if request.headers.get("HX-Request") != "true":
            return super().handle_no_permission(request, view_func)
        login_url = resolve_url(self.get_login_url(view_func))
        redirect_field = self.get_redirect_field_name(view_func)
        back_to = redirect_to_login(_page_of(request), login_url, redirect_field)["Location"]
        return HttpResponseClientRedirect(back_to)


def _page_of(request) -> str:
    """The path of the page an htmx request came from, if it is one of ours."""
    page = urlsplit(request.headers.get("HX-Current-URL", ""))
    if page.netloc == request.get_host() and page.path.startswith("/"):
        return page.path + (f"?{page.query}" if page.query else "")
    return request.path


class VanishedObjectMiddleware:
    """An object deleted by someone else while this request was working on it is not found.

    Views load their objects with get_object_or_404, but a concurrent delete can commit between
    that and the service locking the row (`select_for_update().get()`), which then raises
    DoesNotExist. The service's transaction has rolled back, so the honest answer is the 404
    page ("It may have been deleted"), not a server error.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, ObjectDoesNotExist):
            logger.warning("Gone while the request ran: %s", request.path, exc_info=exception)
            raise Http404 from exception
        return None


class TimeZoneMiddleware:
    """The request's time zone is active from its start: the one already active, else the
    network's (settings.TIME_ZONE).

    Django shows dates in the network's zone anyway when none is active, but each lookup of the
    current zone then fails inside asgiref's context-local storage before falling back to it
    (~4 µs against ~1 on a slow machine), and a list asks twice a row.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with timezone.override(timezone.get_current_timezone()):
            return self.get_response(request)
