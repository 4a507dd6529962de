import re

from django import forms
from django.core.validators import DomainNameValidator
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from customers.forms import clean_search_text
from customers.models import Customer
from memberships.models import Membership
from network_admin.preferences import VIEWS
from network_admin.references import normalize_reference
from sites.models import Site

BIGGEST_ID = 2**63 - 1
OWNER_FIELDS = {"customer", "membership"}
# A site's path: "/" or slash-separated segments of URL-safe characters, ending in a slash.
PATH = re.compile(r"/([A-Za-z0-9._~-]+/)*")


class SiteListForm(forms.Form):
    """The site list's state, all of it in the query string. Invalid values fall back to the
    defaults, so a stale bookmark still opens a sensible page."""

    TABS = {
        "all": _("All Sites"),
        "customer_owned": _("Customer-Owned"),
        "templates": _("Templates"),
        "pending": _("Pending"),
    }

    tab = forms.ChoiceField(choices=TABS, required=False)
    q = forms.CharField(required=False, strip=False)
    view = forms.ChoiceField(choices=VIEWS, required=False)
    customer = forms.IntegerField(required=False, min_value=1, max_value=BIGGEST_ID)

    def state(self, *, default_view: str) -> dict:
        self.is_valid()
        # Fields with invalid values are missing from cleaned_data, so they keep the default.
        chosen = {name: value for name, value in self.cleaned_data.items() if value}
        defaults = {"tab": "all", "view": default_view, "customer": None}
        return defaults | chosen | {"q": clean_search_text(self.data.get("q", ""))}


class ReferenceCodeField(forms.CharField):
    """A text box where the admin types a reference code (or, with `also_by`, another unique
    key such as an email address). It resolves to exactly one row of `queryset` or explains
    that nothing matched; an empty box is None. A row is shown as its `shown_as` attribute."""

    def __init__(
        self, queryset, *, not_found: str, also_by: str = "", shown_as="reference", **kwargs
    ):
        super().__init__(required=False, **kwargs)
        self.queryset, self.not_found = queryset, not_found
        self.also_by, self.shown_as = also_by, shown_as

    def prepare_value(self, value):
        return getattr(value, self.shown_as, value)

    def to_python(self, value):
        text = super().to_python(value)
        if not text:
            return None
        reference = normalize_reference(text)
        matches = Q(reference=reference) if reference else Q(pk__in=[])
        if self.also_by:
            matches |= Q(**{self.also_by: text})
        # Control characters can't be in any code or address (and NUL breaks PostgreSQL).
        found = list(self.queryset.filter(matches)[:2]) if text.isprintable() else []
        if len(found) != 1:
            raise forms.ValidationError(self.not_found, code="not_found", params={"text": text})
        return found[0]

    def has_changed(self, initial, data):
        # Compared as codes, without the query resolving `data` would cost.
        typed = (data or "").strip()
        current = self.prepare_value(initial) or ""
        return not self.disabled and (normalize_reference(typed) or typed) != current


def _model_field(name: str, **kwargs) -> forms.Field:
    return Site._meta.get_field(name).formfield(**kwargs)


class SiteForm(forms.Form):
    """A site's settings, as the add page and the site page edit them."""

    title = _model_field("title", help_text=_("This name is used as the site title."))
    description = _model_field("description", widget=forms.Textarea(attrs={"rows": 3}))
    domain = _model_field(
        "domain", validators=[DomainNameValidator()], help_text=_("For example shop.example.net")
    )
    path = _model_field(
        "path",
        required=False,
        help_text=_("“/” for a site on its own domain, or e.g. “/shop/” for one under it."),
    )
    type = _model_field(
        "type",
        help_text=_("Only customer-owned sites have an owner: other types clear it."),
    )
    customer = ReferenceCodeField(
        Customer.objects.select_related("user"),
        also_by="user__email__iexact",
        shown_as="email",
        label=_("Owner"),
        help_text=_("The customer's reference code or email address."),
        not_found=_("No customer has the reference code or email address “%(text)s”."),
    )
    membership = ReferenceCodeField(
        Membership.objects.select_related("customer__user"),
        label=_("Membership"),
        help_text=_("The membership's reference code. The site belongs to its customer."),
        not_found=_("No membership has the reference code “%(text)s”."),
    )
    active = _model_field("active", help_text=_("Inactive sites are switched off."))

    def __init__(self, data=None, *, site: Site | None = None, read_only: bool = False):
        initial = None
        if site is not None:
            names = ["title", "description", "domain", "path", "type", "customer", "membership"]
            initial = {name: getattr(site, name) for name in names}
        super().__init__(data, initial=initial)
        self.site = site
        if site is not None:
            # The site page switches it on and off with its own toggle.
            del self.fields["active"]
        if site is not None and site.type == Site.Type.MAIN:
            self.fields["type"].disabled = True
            self.fields["type"].help_text = _("The main site's type can't change.")
        for field in self.fields.values():
            field.disabled |= read_only

    def clean_domain(self):
        return self.cleaned_data["domain"].strip().lower()

    def clean_path(self):
        path = self.cleaned_data["path"].strip().strip("/")
        path = f"/{path}/" if path else "/"
        if not PATH.fullmatch(path):
            raise forms.ValidationError(
                _("Use letters, digits and “-”, “_”, “.” or “~” between slashes.")
            )
        return path

    def clean(self):
        cleaned = super().clean()
        domain, path = cleaned.get("domain"), cleaned.get("path")
        others = Site.objects.exclude(pk=getattr(self.site, "pk", None))
        if domain and path and others.filter(domain=domain, path=path).exists():
            self.add_error("domain", _("Another site already uses this domain and path."))
        if cleaned.get("type", Site.Type.CUSTOMER_OWNED) != Site.Type.CUSTOMER_OWNED:
            # Only customer-owned sites have an owner: what the owner boxes say doesn't matter.
            for name in OWNER_FIELDS:
                self.errors.pop(name, None)
                cleaned[name] = None
        elif not (OWNER_FIELDS & set(self.errors) or cleaned["customer"] or cleaned["membership"]):
            self.add_error(
                "customer",
                _("A customer-owned site needs an owner: enter a customer or a membership."),
            )
        return cleaned

    def changes(self) -> dict:
        """What to save, as the site services take it: every field of a new site, only the
        changed ones of an existing site."""
        names = self.changed_data if self.site is not None else list(self.fields)
        values = {name: self.cleaned_data[name] for name in names}
        if values.get("customer") is None and self.cleaned_data.get("membership"):
            # The membership's customer owns the site: an empty owner box doesn't contradict it.
            values.pop("customer", None)
        return values


class SiteActiveForm(forms.Form):
    active = forms.TypedChoiceField(
        choices=[("true", _("Active")), ("false", _("Inactive"))],
        coerce=lambda value: value == "true",
    )
