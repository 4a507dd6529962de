"""How an admin looks at a list page: cards or rows (remembered per admin, in
`User.preferences`), and which page of how many rows (in the query string, so bookmarkable).
"""

import contextlib

from django import forms
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

from network_admin.pagination import AFTER, BEFORE, FIRST, LAST, paginate

VIEWS = {"grid": _("Cards"), "list": _("Rows")}
PER_PAGE_DEFAULT, PER_PAGE_MAX = 24, 100
# Lists of rows (memberships, payments, events): as many as WordPress's list screens show (20)
# and then some; ?per_page= asks for more.
ROWS_PER_PAGE = 25


class ViewPreferenceForm(forms.Form):
    view = forms.ChoiceField(choices=VIEWS)


def remembered_view(request, key: str) -> str:
    """Cards ("grid", the default) or rows ("list"), as this admin last chose for a list."""
    return request.user.preferences.get(key, "grid")


def remember_view(request, key: str, *, fallback: str):
    """Answer the POST of a cards/rows switch: remember the choice for this admin (a display
    preference, so no event) and go back to the list as it was (`next`), else to `fallback`."""
    form = ViewPreferenceForm(request.POST)
    if form.is_valid():
        request.user.preferences[key] = form.cleaned_data["view"]
        request.user.save(update_fields=["preferences"])
    return redirect(safe_next(request, fallback))


def safe_next(request, fallback: str) -> str:
    """The `next` URL of the request if it is a path on this site, else `fallback`."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    # Only a path: anything else ("foo", markup) would be taken for a URL name by redirect().
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def keyset_page(request, queryset, keys, *, size: int = PER_PAGE_DEFAULT, keys_first: bool = False):
    """The page of `queryset` the query string asks for: `?after=` / `?before=` a cursor,
    `?page=last`, else the first; `?per_page=` rows (at most PER_PAGE_MAX). `keys_first`: see
    `paginate`."""
    if request.GET.get("after"):
        direction, cursor = AFTER, request.GET["after"]
    elif request.GET.get("before"):
        direction, cursor = BEFORE, request.GET["before"]
    else:
        direction, cursor = (LAST if request.GET.get("page") == "last" else FIRST), ""
    # A per_page that isn't a number keeps the list's own size.
    with contextlib.suppress(ValueError):
        size = min(max(int(request.GET.get("per_page", size)), 1), PER_PAGE_MAX)
    return paginate(
        queryset, keys, size=size, direction=direction, cursor=cursor, keys_first=keys_first
    )
