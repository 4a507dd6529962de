from django import forms
from django.core.exceptions import ValidationError
from django.db.models.utils import get_blank_choice_label
from django.forms.models import fields_for_model, model_to_dict
from django.utils.translation import gettext_lazy as _

from customers.forms import clean_search_text
from customers.models import Customer
from memberships.models import Membership, MembershipProducts, Product
from memberships.services import DELETE_SITES, DETACH_SITES


class ListForm(forms.Form):
    """A list page's state, all of it in the query string: a tab, and where the page starts.

    Unknown values fall back to the defaults rather than erroring: a stale bookmark still
    opens a sensible page.
    """

    ALL = "all"
    TABS: dict = {}

    tab = forms.ChoiceField(required=False)

    def __init__(self, data):
        super().__init__(data)
        self.fields["tab"].choices = self.TABS.items()

    def clean_tab(self):
        return self.cleaned_data["tab"] or self.ALL

    @property
    def state(self) -> dict:
        """The cleaned values, or the defaults for those that are missing or invalid."""
        self.is_valid()
        return {"tab": self.ALL, "q": ""} | self.cleaned_data


class MembershipListForm(ListForm):
    TABS = {
        ListForm.ALL: _("All"),
        Membership.Status.ACTIVE: _("Active"),
        Membership.Status.TRIALING: _("Trialing"),
        Membership.Status.PENDING: _("Pending"),
        Membership.Status.ON_HOLD: _("On Hold"),
        Membership.Status.EXPIRED: _("Expired"),
        Membership.Status.CANCELLED: _("Cancelled"),
    }

    q = forms.CharField(required=False, strip=False, label=_("Search memberships"))

    def clean_q(self):
        return clean_search_text(self.cleaned_data["q"])


class ProductListForm(ListForm):
    TABS = {
        ListForm.ALL: _("All"),
        Product.Type.PLAN: _("Plans"),
        Product.Type.PACKAGE: _("Packages"),
        Product.Type.SERVICE: _("Services"),
    }


class CustomerField(forms.CharField):
    """A customer named by reference code, email address or username."""

    default_error_messages = {
        "unknown": _(
            "No single customer has this reference, email address or username. "
            "Check the spelling, or look the customer up in the customer list."
        ),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 254)
        kwargs.setdefault("help_text", _("Reference code, email address or username."))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        return value.reference if isinstance(value, Customer) else value

    def clean(self, value):
        text = super().clean(value)
        if not text:
            return None
        customer = Customer.objects.select_related("user").find_one(text)
        if customer is None:
            raise ValidationError(self.error_messages["unknown"], code="unknown")
        return customer


class ModelFieldsForm(forms.Form):
    """Some fields of a model, checked for type and by the model fields' own validators.

    Unlike a ModelForm it never writes to the instance, so the service still sees the old
    values and records old → new; rules across fields stay with the service, whose
    ValidationError the view puts back beside the fields.
    """

    model: type
    field_names: list[str]
    widgets: dict = {}

    def __init__(self, data=None, *, instance=None, **kwargs):
        initial = model_to_dict(instance, fields=self.field_names) if instance else None
        super().__init__(data, initial=initial, **kwargs)
        self.fields.update(
            fields_for_model(self.model, fields=self.field_names, widgets=self.widgets)
        )

    def clean(self):
        cleaned = super().clean()
        for name in self.field_names:
            value = cleaned.get(name)
            if name in self.errors or value in self.fields[name].empty_values:
                continue
            try:
                for validator in self.model._meta.get_field(name).validators:
                    validator(value)
            except ValidationError as error:
                self.add_error(name, error)
        return cleaned

    def changed_values(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.changed_data}

    def disable(self) -> None:
        """Show the values read-only, for someone who may look but not change."""
        for field in self.fields.values():
            field.disabled = True


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self):
        # Seconds are kept so that saving the form never moves a date that wasn't touched.
        super().__init__(format="%Y-%m-%dT%H:%M:%S", attrs={"step": "1"})


DATE_FIELDS = ["expires_at", "renewed_at", "trial_ends_at", "cancelled_at"]
GATEWAY_FIELDS = ["gateway", "gateway_customer_id", "gateway_subscription_id"]
BILLING_FIELDS = [
    "initial_amount",
    "recurring",
    "amount",
    "duration",
    "duration_unit",
    "billing_cycles",
    "auto_renew",
]


class MembershipForm(ModelFieldsForm):
    """The membership page's Save form: status, billing, gateway settings and dates."""

    model = Membership
    field_names = [
        "status",
        "cancellation_reason",
        *BILLING_FIELDS,
        *GATEWAY_FIELDS,
        *DATE_FIELDS,
    ]
    widgets = {name: LocalDateTimeInput() for name in DATE_FIELDS}

    def __init__(self, data=None, *, instance: Membership, **kwargs):
        super().__init__(data, instance=instance, **kwargs)
        self.was_cancelled = instance.status == Membership.Status.CANCELLED
        self.fields["cancellation_reason"].help_text = _("Needed when you cancel.")
        self.fields["expires_at"].help_text = _("Empty means lifetime.")

    def clean(self):
        cleaned = super().clean()
        cancelling = cleaned.get("status") == Membership.Status.CANCELLED
        if cancelling and not self.was_cancelled and not cleaned.get("cancellation_reason"):
            self.add_error("cancellation_reason", _("Say why the membership is cancelled."))
        return cleaned

    def panels(self) -> list[tuple[str, list[forms.BoundField]]]:
        """The fields grouped the way the page shows them."""
        return [
            (_("Status"), [self["status"], self["cancellation_reason"]]),
            (_("Billing"), [self[name] for name in BILLING_FIELDS]),
            (_("Gateway"), [self[name] for name in GATEWAY_FIELDS]),
            (_("Important dates"), [self[name] for name in DATE_FIELDS]),
        ]


class QuantityField(forms.IntegerField):
    default_error_messages = {"min_value": _("A quantity must be at least %(limit_value)s.")}

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("initial", kwargs["min_value"])
        kwargs.setdefault("label", _("Quantity"))
        super().__init__(**kwargs)


NOT_A_PLAN = _("That product is not an active plan. Choose a product of type plan.")


class MembershipAddForm(forms.Form):
    ADDON_PREFIX = "addon_"

    customer = CustomerField(label=_("Customer"))
    plan = forms.ModelChoiceField(
        queryset=Product.objects.plans().active(),
        label=_("Plan"),
        error_messages={"invalid_choice": NOT_A_PLAN},
    )
    status = forms.ChoiceField(
        choices=Membership.Status, initial=Membership.Status.PENDING, label=_("Status")
    )

    def __init__(self, data=None, *, addon_products, **kwargs):
        super().__init__(data, **kwargs)
        self.addon_products = {f"{self.ADDON_PREFIX}{p.pk}": p for p in addon_products}
        for name, product in self.addon_products.items():
            self.fields[name] = QuantityField(min_value=0, required=False, label=product.name)

    def addon_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.addon_products]

    def addons(self) -> dict[Product, int]:
        return {
            product: self.cleaned_data[name]
            for name, product in self.addon_products.items()
            if self.cleaned_data.get(name)
        }


class ProductChoiceField(forms.ChoiceField):
    """A choice among products the view has already loaded, so that the pickers of a page share
    one query, and a choice is checked against the same list rather than looked up again."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.offer([])

    def offer(self, products: list[Product]) -> None:
        self.products = {str(product.pk): product for product in products}
        self.choices = [("", get_blank_choice_label())] + [
            (pk, str(product)) for pk, product in self.products.items()
        ]

    def clean(self, value) -> Product | None:
        return self.products.get(super().clean(value))


class PlanChangeForm(forms.Form):
    plan = ProductChoiceField(
        label=_("Plan"),
        error_messages={"invalid_choice": NOT_A_PLAN},
    )
    take_terms = forms.BooleanField(
        required=False, label=_("Also take the new plan's price and billing period")
    )

    def __init__(
        self, data=None, *, membership: Membership, products: MembershipProducts, **kwargs
    ):
        super().__init__(data, initial={"plan": membership.plan_id}, **kwargs)
        self.fields["plan"].offer(products.plans)


class AddonForm(forms.Form):
    product = ProductChoiceField(
        label=_("Package or service"),
        error_messages={
            "invalid_choice": _("Choose an active package or service; plans can't be add-ons.")
        },
    )
    quantity = QuantityField()

    def __init__(self, data=None, *, products: MembershipProducts, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["product"].offer(products.addons)


class AddonRemoveForm(forms.Form):
    product = forms.ModelChoiceField(queryset=Product.objects.addons())


class TransferForm(forms.Form):
    to = CustomerField(label=_("Move to customer"))

    def __init__(self, data=None, *, membership: Membership, **kwargs):
        super().__init__(data, **kwargs)
        self.membership = membership

    def clean_to(self):
        customer = self.cleaned_data["to"]
        if customer.pk == self.membership.customer_id:
            raise ValidationError(
                _("The membership already belongs to %(customer)s. Choose another customer."),
                params={"customer": customer},
            )
        return customer


class MembershipDeleteForm(forms.Form):
    sites = forms.ChoiceField(
        choices={
            DETACH_SITES: _("Keep them, without a membership (they stay with the customer)"),
            DELETE_SITES: _("Delete them too"),
        },
        widget=forms.RadioSelect,
        required=False,
        label=_("Its sites"),
    )

    def __init__(self, data=None, *, has_sites: bool, **kwargs):
        super().__init__(data, **kwargs)
        self.has_sites = has_sites

    def clean_sites(self):
        choice = self.cleaned_data["sites"]
        if self.has_sites and not choice:
            raise ValidationError(_("Choose whether its sites are kept or deleted."))
        return choice or DETACH_SITES


class ProductForm(ModelFieldsForm):
    model = Product
    field_names = [
        "name",
        "slug",
        "type",
        "amount",
        "setup_fee",
        "recurring",
        "duration",
        "duration_unit",
        "active",
    ]
