"""Emails sent to customers. Links in them are signed; nothing secret is stored."""

from django.contrib.auth.tokens import default_token_generator
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
