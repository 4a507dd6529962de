from django.utils.translation import gettext_lazy as _

# The sidebar: (label, URL name, permission needed to see it).
SECTIONS = [
    ("customers", _("Customers"), "customers:list", "customers.view_customer"),
    ("memberships", _("Memberships"), "memberships:list", "memberships.view_membership"),
    ("payments", _("Payments"), "payments:list", "payments.view_payment"),
    ("sites", _("Sites"), "sites:list", "sites.view_site"),
    ("events", _("Events"), "events:list", "events.view_event"),
    ("products", _("Products"), "memberships:products", "memberships.view_product"),
]


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_staff:
        return {}
    sections = [
        {"key": key, "label": label, "url_name": url_name}
        for key, label, url_name, permission in SECTIONS
        if user.has_perm(permission)
    ]
    # What base.html's cached sidebar varies on, with the language and the page's section.
    return {"nav_sections": sections, "nav_keys": " ".join(item["key"] for item in sections)}
