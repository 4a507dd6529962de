"""Links to one object's page, for lists that write one per row, and to the pages whose URL has
no arguments, which every page's frame writes a dozen of."""

from collections.abc import Callable
from functools import lru_cache

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import get_script_prefix, get_urlconf, reverse

# Stands in for the id while the URL is reversed once; no real id comes near it, so it occurs
# in the reversed URL exactly where the id goes.
_ID_SLOT = 9_007_199_254_740_993


def object_url(name: str, pk: int) -> str:
    """`reverse(name, args=[pk])` for a URL whose one argument is an integer id.

    Django's reverse() matches the name against the URL patterns on every call (~11 µs); a list
    page writes two links per row. The text around the id is the same for every id, so it is
    reversed once per URL name (and script prefix and URLconf, which reverse() depends on).
    """
    return object_url_writer(name)(pk)


def object_url_writer(name: str) -> Callable[[int], str]:
    """`object_url` for `name`, with the request's script prefix and URLconf read once (two
    context-local lookups a link) instead of for every row of a render."""
    before, after = _around_id(name, get_script_prefix(), get_urlconf())
    return lambda pk: f"{before}{int(pk)}{after}"


@lru_cache(maxsize=256)
def _around_id(name: str, script_prefix: str, urlconf) -> tuple[str, str]:
    # reverse() reads the script prefix itself: it is in the key so that a change refills it.
    before, _, after = reverse(name, args=[_ID_SLOT], urlconf=urlconf).rpartition(str(_ID_SLOT))
    return before, after


def plain_url(name: str, current_app: str | None = None) -> str:
    """`reverse(name, current_app=current_app)` for a URL without arguments, reversed once per
    name (and script prefix and URLconf, which reverse() depends on) instead of on every call."""
    return _plain_url(name, current_app, get_script_prefix(), get_urlconf())


@lru_cache(maxsize=256)
def _plain_url(name: str, current_app: str | None, script_prefix: str, urlconf) -> str:
    return reverse(name, current_app=current_app, urlconf=urlconf)


@receiver(setting_changed, dispatch_uid="network_admin.links")
def _forget_urls(setting, **kwargs):
    # Another ROOT_URLCONF (a test's override_settings) changes what a name reverses to, while
    # get_urlconf(), part of the keys, still says None.
    if setting == "ROOT_URLCONF":
        _around_id.cache_clear()
        _plain_url.cache_clear()
