"""The pages that belong to the network as a whole: the dashboard, the health check and the
language switch."""

import logging
from functools import wraps

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError, connection
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from customers.models import Customer
from events.models import Event
from memberships.models import Membership
from network_admin.access import staff_permission_required
from network_admin.pagination import capped_totals
from network_admin.preferences import safe_next
from payments.models import Payment
from sites.models import Site

logger = logging.getLogger(__name__)

RECENT_EVENTS = 10


def _customers_to_their_account(view):
    # Customers land on "/" after logging in (LOGIN_REDIRECT_URL): send them to their own page
    # instead of answering 403.
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_staff:
            return redirect("account:index")
        return view(request, *args, **kwargs)

    return wrapper


def network_counts() -> dict[str, tuple[int, bool]]:
    """The dashboard's headline numbers: exact up to the cap, beyond it the planner's estimates
    (an exact count of 11 million events took 1.8 s), kept a minute (`capped_totals`)."""
    return capped_totals(
        {
            "customers": Customer.objects.all(),
            "vip": Customer.objects.vip(),
            "memberships": Membership.objects.all(),
            "active_memberships": Membership.objects.filter(status=Membership.Status.ACTIVE),
            "completed_payments": Payment.objects.filter(status=Payment.Status.COMPLETED),
            "sites": Site.objects.all(),
            "events": Event.objects.all(),
        }
    )


@_customers_to_their_account
@staff_permission_required("customers.view_customer")
def home(request):
    ctx = {
        "section": "dashboard",
        "counts": network_counts(),
        "recent_events": Event.objects.with_object_exists()[:RECENT_EVENTS],
    }
    return render(request, "network_admin/dashboard.html", ctx)


@login_not_required
@never_cache
@require_GET
def healthz(request):
    """Answer 200 while the app can reach its database, 503 otherwise (for load balancers)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        logger.exception("Health check: the database is unreachable.")
        return HttpResponse("database unavailable", status=503, content_type="text/plain")
    return HttpResponse("ok", content_type="text/plain")


class LanguageForm(forms.Form):
    language = forms.ChoiceField(choices=settings.LANGUAGES)


def set_language_cookie(response, language: str) -> None:
    """Make `language` the language of this browser's next pages (read by LocaleMiddleware)."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


@login_not_required
@require_POST
def set_language(request):
    """The header's language switch: remember the choice in this browser and, for a signed-in
    user, in their preferences so that it follows them to other browsers (see LoginView). A
    display preference, so no event. Anyone may switch, the login page included."""
    response = redirect(safe_next(request, "home"))
    form = LanguageForm(request.POST)
    if form.is_valid():
        language = form.cleaned_data["language"]
        set_language_cookie(response, language)
        if request.user.is_authenticated:
            request.user.preferences["language"] = language
            request.user.save(update_fields=["preferences"])
    return response
