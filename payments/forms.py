import re
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from customers.forms import clean_search_text
from memberships.models import Membership
from payments.models import LineItem, Payment

# The money columns hold 12 digits, 2 of them decimals.
WHOLE_DIGITS = 10
# Enough for any trailing zeros someone might type; far more than any currency has.
MAX_FRACTION_DIGITS = 20
PLAIN_NUMBER = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
GROUPED_NUMBER = re.compile(r"-?[0-9]{1,3}(?:[,'][0-9]{3})+(?:\.[0-9]*)?")


class MoneyField(forms.CharField):
    """An amount typed as plain digits ("1234.50") and read as a Decimal, never as a float.

    Exponents, NaN, infinities and thousands separators are refused with a message saying what
    to type instead. The caller checks the sign and the decimal places, which depend on the
    currency and the business rule.
    """

    default_error_messages = {
        "invalid": _("Enter the amount as a plain number, like 20.00."),
        "grouped": _("Leave out the thousands separators: type 1000.00, not 1,000.00."),
        "too_large": _("That amount is too large."),
        "too_precise": _("That amount has more decimal places than any currency."),
    }

    def widget_attrs(self, widget):
        return super().widget_attrs(widget) | {"inputmode": "decimal", "autocomplete": "off"}

    def to_python(self, value):
        text = super().to_python(value)
        if text in self.empty_values:
            return None
        if GROUPED_NUMBER.fullmatch(text):
            raise ValidationError(self.error_messages["grouped"], code="grouped")
        if not PLAIN_NUMBER.fullmatch(text):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        whole, _point, fraction = text.lstrip("-").partition(".")
        if len(whole.lstrip("0")) > WHOLE_DIGITS:
            raise ValidationError(self.error_messages["too_large"], code="too_large")
        if len(fraction) > MAX_FRACTION_DIGITS:
            raise ValidationError(self.error_messages["too_precise"], code="too_precise")
        return Decimal(text)


class PaymentListForm(forms.Form):
    """The payment list's state, all in the query string. Unknown values fall back to the
    defaults: a stale bookmark still opens a sensible page."""

    TABS = {
        "all": _("All"),
        Payment.Status.COMPLETED: _("Completed"),
        Payment.Status.PENDING: _("Pending"),
        Payment.Status.PARTIALLY_REFUNDED: _("Partially Refunded"),
        Payment.Status.REFUNDED: _("Refunded"),
        Payment.Status.FAILED: _("Failed"),
    }
    GATEWAYS = {value: label for value, label in Membership.Gateway.choices if value}

    tab = forms.ChoiceField(choices=TABS, required=False)
    q = forms.CharField(required=False, strip=False, label=_("Search payments"))
    customer = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    gateway = forms.ChoiceField(
        choices={"": _("Any gateway"), **GATEWAYS}, required=False, label=_("Gateway")
    )

    def value(self, name: str):
        """The cleaned value of `name`, or its default when missing or invalid."""
        if name == "q":
            return clean_search_text(self.data.get("q", ""))
        self.is_valid()
        value = self.cleaned_data.get(name) if name not in self.errors else None
        return value or {"tab": "all"}.get(name)


class PaymentForm(forms.Form):
    """What an admin edits on a payment; totals and the invoice number are the system's."""

    status = forms.ChoiceField(label=_("Status"))
    membership = forms.ModelChoiceField(
        queryset=Membership.objects.none(),
        required=False,
        label=_("Membership"),
        empty_label=_("No membership"),
    )
    gateway = forms.ChoiceField(choices=Membership.Gateway, required=False, label=_("Gateway"))
    gateway_payment_id = forms.CharField(
        max_length=100, required=False, label=_("Gateway payment ID")
    )

    def __init__(self, *args, payment: Payment, **kwargs):
        initial = {
            "status": payment.status,
            "membership": payment.membership_id,
            "gateway": payment.gateway,
            "gateway_payment_id": payment.gateway_payment_id,
        }
        super().__init__(*args, initial=initial, **kwargs)
        status = self.fields["status"]
        if payment.status in Payment.REFUND_STATUSES:
            status.choices = [(payment.status, payment.get_status_display())]
            status.disabled = True
            status.help_text = _("Follows the payment's refunds.")
        else:
            status.choices = [
                choice
                for choice in Payment.Status.choices
                if choice[0] not in Payment.REFUND_STATUSES
            ]
        self.fields["membership"].queryset = Membership.objects.filter(
            customer_id=payment.customer_id
        ).select_related("plan")
        self.fields["membership"].label_from_instance = lambda m: f"{m.reference} · {m.plan}"


class LineItemForm(forms.Form):
    type = forms.ChoiceField(choices=LineItem.Type, label=_("Type"))
    title = forms.CharField(max_length=200, label=_("Title"))
    description = forms.CharField(max_length=500, required=False, label=_("Description"))
    quantity = forms.IntegerField(min_value=1, max_value=1_000_000, initial=1, label=_("Quantity"))
    unit_price = MoneyField(label=_("Unit price"))
    tax_rate = forms.DecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=0,
        max_value=100,
        initial=0,
        label=_("Tax rate (%)"),
    )

    @classmethod
    def for_line(cls, line: LineItem, **kwargs) -> "LineItemForm":
        initial = {name: getattr(line, name) for name in cls.base_fields}
        return cls(initial=initial, **kwargs)


class RefundForm(forms.Form):
    amount = MoneyField(
        label=_("Amount"), error_messages={"required": _("Enter the amount to refund.")}
    )
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Kept with the refund and shown in the payment's events."),
    )
    cancel_membership = forms.BooleanField(required=False, label=_("Also cancel the membership"))
    # Rendered into each form once: submitting the same form twice refunds once.
    idempotency_key = forms.UUIDField(
        widget=forms.HiddenInput,
        error_messages={
            "required": _("This form has expired. Open the refund form again."),
            "invalid": _("This form has expired. Open the refund form again."),
        },
    )

    def __init__(self, *args, payment: Payment, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["amount"].label = _("Amount (%(currency)s)") % {"currency": payment.currency}
        if payment.membership_id is None:
            del self.fields["cancel_membership"]
        else:
            self.fields["cancel_membership"].label = _("Also cancel membership %(membership)s") % {
                "membership": payment.membership
            }
