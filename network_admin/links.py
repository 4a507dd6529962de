"""Links to one object's page, for lists that write one per row."""

from functools import lru_cache

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
    before, after = _around_id(name, get_script_prefix(), get_urlconf())
    return f"{before}{int(pk)}{after}"


@lru_cache(maxsize=256)
def _around_id(name: str, script_prefix: str, urlconf) -> tuple[str, str]:
    # reverse() reads the script prefix itself: it is in the key so that a change refills it.
    before, _, after = reverse(name, args=[_ID_SLOT], urlconf=urlconf).rpartition(str(_ID_SLOT))
    return before, after
