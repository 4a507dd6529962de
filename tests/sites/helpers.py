"""Helpers shared by the site page tests."""

from sites.models import Site


def form_data(site: Site, **typed) -> dict:
    """The site page's form as it is rendered for `site`, with `typed` changes."""
    data = {
        "title": site.title,
        "description": site.description,
        "domain": site.domain,
        "path": site.path,
        "type": site.type,
        "customer": site.customer.email if site.customer else "",
        "membership": site.membership.reference if site.membership else "",
    }
    return data | typed
