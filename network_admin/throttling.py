"""Login throttling (django-axes, configured in settings): what a locked-out visitor sees."""

from axes.helpers import get_cool_off
from django.shortcuts import render


def locked_out(request, original_response=None, credentials=None):
    """The lockout page (settings.AXES_LOCKOUT_CALLABLE), in place of the login form.

    It says how long to wait and nothing about the account: whether the username exists is
    not the visitor's business.
    """
    minutes = max(1, round(get_cool_off(request).total_seconds() / 60))
    return render(request, "registration/locked_out.html", {"minutes": minutes}, status=429)
