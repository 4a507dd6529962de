"""Emails sent to customers. Links in them are signed; nothing secret is stored."""

from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _


def send_set_password_email(request, user) -> None:
    """Email `user` a one-time link to choose their password (Django's password reset flow)."""
    path = reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    body = render_to_string(
        "customers/email/set_password.txt",
        {"user": user, "link": request.build_absolute_uri(path)},
    )
    send_mail(_("Set your password"), body, None, [user.email])


VERIFICATION_SALT = "customers.verify-email"
VERIFICATION_MAX_AGE = timedelta(days=3)


def send_verification_email(request, customer) -> None:
    """Email the customer a signed link that proves they own their address (valid 3 days)."""
    # The address is part of the signed value: changing it makes older links useless.
    token = signing.dumps(
        {"customer": customer.pk, "email": customer.email}, salt=VERIFICATION_SALT
    )
    body = render_to_string(
        "customers/email/verify_email.txt",
        {
            "customer": customer,
            "link": request.build_absolute_uri(reverse("account:verify_email", args=[token])),
            "days": VERIFICATION_MAX_AGE.days,
        },
    )
    send_mail(_("Confirm your email address"), body, None, [customer.email])


@dataclass(frozen=True)
class VerificationOutcome:
    customer: object | None = None
    problem: str = ""


def read_verification_token(token: str, *, user) -> VerificationOutcome:
    """Which customer a verification link verifies for `user`, or why it doesn't."""
    from customers.models import Customer

    try:
        claim = signing.loads(
            token, salt=VERIFICATION_SALT, max_age=VERIFICATION_MAX_AGE.total_seconds()
        )
    except signing.SignatureExpired:
        return VerificationOutcome(problem=_("This link has expired. Ask for a new one."))
    except signing.BadSignature:
        return VerificationOutcome(problem=_("This link is not valid. Check that it is complete."))
    customer = Customer.objects.filter(user=user).select_related("user").first()
    if customer is None or customer.pk != claim.get("customer"):
        return VerificationOutcome(
            problem=_("This link belongs to another account. Log in as that customer to use it.")
        )
    if customer.email != claim.get("email"):
        return VerificationOutcome(
            problem=_("This link was sent to an address the account no longer uses.")
        )
    return VerificationOutcome(customer=customer)
