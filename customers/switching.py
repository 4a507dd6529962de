"""Switch to: an admin signs in as a customer to see their account page, then switches back.

django-hijack does the session work: `login()` with a fresh session key in each direction, the
stack of who switched to whom, and the banner. These views decide who may switch to whom and
where each direction lands, and record both directions as events. A switch is never a login of
the customer: no receiver of `user_logged_in` hears it (see `_not_a_login`).
"""

from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps

from django.contrib import messages
from django.contrib.auth.signals import user_logged_in
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from hijack.views import AcquireUserView, ReleaseUserView

from customers.models import Customer
from events.services import Actor, record
from network_admin.access import staff_permission_required

SWITCH_PERMISSION = "customers.switch_to_customer"


def switch_refusal(hijacker, hijacked) -> str | None:
    """Why `hijacker` may not switch to `hijacked`, or None when they may."""
    return admin_switch_refusal(hijacker) or customer_switch_refusal(hijacker, hijacked)


def admin_switch_refusal(hijacker) -> str | None:
    """Why `hijacker` may not switch to any customer, or None when they may switch to some.

    A list asks this once for its page, then `customer_switch_refusal` for each row: the
    permission check goes through every authentication backend (~10 µs a row)."""
    if not (hijacker.is_active and hijacker.is_staff and hijacker.has_perm(SWITCH_PERMISSION)):
        return _("You don't have permission to switch to customers.")
    return None


def customer_switch_refusal(hijacker, hijacked) -> str | None:
    """Why an admin who may switch (`admin_switch_refusal`) may not switch to `hijacked`."""
    if hijacked.pk == hijacker.pk:
        return _("You can't switch to yourself.")
    if hijacked.is_staff or hijacked.is_superuser:
        return _("%(name)s has a staff account: you can only switch to customers.") % {
            "name": hijacked
        }
    if not hijacked.is_active:
        return _("%(name)s's login account is inactive, so you can't switch to it.") % {
            "name": hijacked
        }
    return None


def may_switch(*, hijacker, hijacked) -> bool:
    """django-hijack's permission check (settings.HIJACK_PERMISSION_CHECK).

    Its `can_hijack` template filter uses it too, to show the Switch to button.
    """
    return hijacked is not None and switch_refusal(hijacker, hijacked) is None


# django.contrib.auth.login() tells every receiver of user_logged_in that the customer logged in:
# Django's last-login update, django-axes' access log, any receiver added later. hijack only
# disconnects Django's, and does it for every thread of the process at once. This keeps the
# signal quiet for the switching request alone.
_switching = ContextVar("customers.switching", default=False)


def _quiet_while_switching(send):
    @wraps(send)
    def send_unless_switching(sender, **named):
        return [] if _switching.get() else send(sender, **named)

    return send_unless_switching


if not hasattr(user_logged_in.send, "__wrapped__"):
    user_logged_in.send = _quiet_while_switching(user_logged_in.send)


@contextmanager
def _not_a_login():
    token = _switching.set(True)
    try:
        yield
    finally:
        _switching.reset(token)


def _run_hijack(view_class, request, **form_data) -> None:
    """Run one of hijack's views with `form_data` posted. Its redirect is not used: where each
    direction lands is ours to decide, so a `next` in the request is never followed."""
    request.POST = request.POST.copy()
    for name, value in form_data.items():
        request.POST[name] = value
    with _not_a_login():
        view_class.as_view()(request)


@transaction.atomic
def switch_to_customer(request, customer: Customer) -> None:
    """Sign the admin of `request` in as `customer`, and record it, in one transaction."""
    actor = Actor.from_request(request)
    _run_hijack(AcquireUserView, request, user_pk=customer.user_id)
    record("customer.switched_to", actor=actor, obj=customer)


@transaction.atomic
def switch_back(request, switched_to) -> None:
    """Sign the admin back in as themselves, and record it, in one transaction.

    `switched_to` is the customer, or their login account if the customer record is gone.
    """
    _run_hijack(ReleaseUserView, request)
    record("customer.switched_back", actor=Actor.from_request(request), obj=switched_to)


@staff_permission_required(SWITCH_PERMISSION)
@require_POST
def customer_switch_to(request, pk):
    customer = get_object_or_404(Customer.objects.select_related("user"), pk=pk)
    refusal = switch_refusal(request.user, customer.user)
    if refusal:
        messages.error(request, refusal)
        return redirect("customers:detail", pk=customer.pk)
    switch_to_customer(request, customer)
    return redirect("account:index")


@require_POST
def customer_switch_back(request):
    # The signed-in user is the customer here, so this view can't ask for an admin permission.
    if not request.session.get("hijack_history"):
        messages.error(
            request,
            _("You haven't switched to a customer, so there is nothing to switch back from."),
        )
        return redirect("home")
    customer = Customer.objects.select_related("user").filter(user_id=request.user.pk).first()
    switch_back(request, customer or request.user)
    if customer is None:
        return redirect("customers:list")
    messages.success(request, _("You switched back from %(name)s.") % {"name": customer.name})
    return redirect("customers:detail", pk=customer.pk)
