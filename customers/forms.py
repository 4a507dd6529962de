import hmac
import unicodedata

from django import forms
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from django_countries.widgets import LazySelect

from customers.models import Customer, CustomField, Note, User
from network_admin.preferences import VIEWS

SEARCH_MAX_LENGTH = 100


def clean_search_text(text: str) -> str:
    """Search text as the database can take it: no control characters (NUL breaks PostgreSQL),
    and short enough to stay a search rather than an attack."""
    printable = "".join(char for char in text if unicodedata.category(char)[0] != "C")
    return " ".join(printable.split())[:SEARCH_MAX_LENGTH]


class CustomerListForm(forms.Form):
    """The customer list's state, all of it in the query string. Unknown values fall back to
    the defaults rather than erroring: a stale bookmark still opens a sensible page."""

    TABS = {"all": _("All Customers"), "vip": _("VIP Customers"), "online": _("Online Customers")}
    SORTS = {
        "newest": _("Newest"),
        "oldest": _("Oldest"),
        "last_login": _("Last login"),
        "name": _("Name"),
    }
    VIEWS = VIEWS

    tab = forms.ChoiceField(choices=TABS, required=False)
    q = forms.CharField(required=False, strip=False, label=_("Search customers"))
    sort = forms.ChoiceField(choices=SORTS, required=False, label=_("Sort by"))
    view = forms.ChoiceField(choices=VIEWS, required=False)

    def __init__(self, data, *, default_view: str = "grid"):
        super().__init__(data)
        self.default_view = default_view

    def value(self, name: str) -> str:
        """The cleaned value of `name`, or its default when missing or invalid."""
        defaults = {"tab": "all", "q": "", "sort": "newest", "view": self.default_view}
        if not self.is_bound:
            return defaults[name]
        self.is_valid()
        value = self.cleaned_data.get(name) if name not in self.errors else None
        if name == "q":
            return clean_search_text(self.data.get("q", ""))
        return value or defaults[name]


class BulkActionForm(forms.Form):
    ACTIONS = {
        "mark_vip": _("Mark VIP"),
        "remove_vip": _("Remove VIP"),
        "export": _("Export selected"),
        "delete": _("Delete selected"),
    }

    action = forms.ChoiceField(choices=ACTIONS, label=_("Bulk action"))
    customers = forms.ModelMultipleChoiceField(
        queryset=Customer.objects.all(),
        error_messages={"required": _("Select at least one customer first.")},
    )


class AddCustomerForm(forms.Form):
    """Either make an existing login account a customer, or create a new account."""

    EXISTING, NEW = "existing", "new"

    mode = forms.ChoiceField(
        choices={NEW: _("Create a new user"), EXISTING: _("Use an existing user")},
        initial=NEW,
        widget=forms.RadioSelect,
        label=_("Login account"),
    )
    existing_user = forms.CharField(
        required=False,
        label=_("Existing user"),
        help_text=_("Username or email address of an account that is not a customer yet."),
    )
    username = forms.CharField(required=False, label=_("Username"), max_length=150)
    email = forms.EmailField(required=False, label=_("Email address"))
    first_name = forms.CharField(required=False, label=_("First name"), max_length=150)
    last_name = forms.CharField(required=False, label=_("Last name"), max_length=150)
    password = forms.CharField(
        required=False,
        label=_("Password"),
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Leave empty to email the customer a link to set their own password."),
    )
    vip = forms.BooleanField(required=False, label=_("Set this customer as a VIP"))

    def clean_existing_user(self):
        text = self.cleaned_data["existing_user"].strip()
        if self.data.get("mode") != self.EXISTING:
            return None
        if not text:
            raise forms.ValidationError(_("Enter the username or email of the account."))
        user = (
            User.objects.filter(username=text).first()
            or User.objects.filter(email__iexact=text).first()
        )
        if user is None:
            raise forms.ValidationError(_("No account has this username or email address."))
        if user.is_staff:
            raise forms.ValidationError(_("Staff accounts can't be customers."))
        if Customer.objects.filter(user=user).exists():
            raise forms.ValidationError(_("This account is already a customer."))
        return user

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        if username:
            UnicodeUsernameValidator()(username)
            if User.objects.filter(username=username).exists():
                raise forms.ValidationError(_("A user with this username already exists."))
        return username

    def clean_email(self):
        email = self.cleaned_data["email"]
        if email and User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("A user with this email address already exists."))
        return email

    def clean_password(self):
        password = self.cleaned_data["password"]
        if password:
            validate_password(password)
        return password

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("mode") == self.NEW:
            for name in ("username", "email"):
                if not cleaned.get(name) and name not in self.errors:
                    self.add_error(name, _("This field is required."))
        return cleaned


CUSTOMER_FORM_ID = "customer-form"


class _InCustomerForm:
    """Fields of the customer page's one Save form, wherever they sit on the page: inputs
    name their <form> with the HTML `form` attribute, so other small forms (notes, switch to,
    resend) can live between them without nesting forms."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs["form"] = CUSTOMER_FORM_ID


class CountrySelect(LazySelect):
    """django-countries' select, its 250 options rendered once per language and country."""

    def use_required_attribute(self, initial):
        # Django asks before it checks the field is required; answering for an optional field
        # would translate and sort the 250 country names just to be ignored.
        return self.is_required and super().use_required_attribute(initial)

    def render(self, name, value, attrs=None, renderer=None):
        # The translated, sorted and escaped options were ~4 ms of every customer page, and the
        # markup depends on nothing but the language and these arguments. A posted value that
        # is no country is rendered, not kept, so the memo can't grow past the real countries.
        attrs = self.build_attrs(self.attrs, attrs)
        codes = tuple(self.format_value(value))
        if any(code and code not in countries for code in codes):
            return super().render(name, value, attrs, renderer)
        key = (get_language(), name, codes, tuple(attrs.items()), self.is_required)
        if key not in _rendered_country_selects:
            _rendered_country_selects[key] = super().render(name, value, attrs, renderer)
        return _rendered_country_selects[key]


# One entry per language, country and field name in use: a few hundred at most.
_rendered_country_selects: dict[tuple, str] = {}


class CustomerForm(_InCustomerForm, forms.ModelForm):
    activate_pending_memberships = forms.BooleanField(
        required=False, label=_("Also activate pending memberships")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # With htmx the VIP switch saves on its own, at once; without, Save Customer does.
            self.fields["vip"].widget.attrs.update(
                {
                    "hx-post": reverse("customers:vip", args=[self.instance.pk]),
                    "hx-trigger": "change",
                    "hx-target": "#vip-status",
                    "hx-params": self.add_prefix("vip"),
                }
            )

    class Meta:
        model = Customer
        widgets = {"country": CountrySelect}
        fields = [
            "vip",
            "email_verification",
            "company_name",
            "billing_email",
            "address_line_1",
            "address_line_2",
            "city",
            "state",
            "postal_code",
            "country",
        ]

    BILLING_FIELDS = Meta.fields[2:]


class AccountForm(_InCustomerForm, forms.ModelForm):
    """The customer's login account, as the Fields panel edits it."""

    class Meta:
        model = User
        fields = ["username", "first_name", "last_name", "email"]
        help_texts = {"username": ""}

    def clean_email(self):
        email = User.objects.normalize_email(self.cleaned_data["email"])
        taken = User.objects.filter(email__iexact=email).exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(_("A user with this email address already exists."))
        return email


class CustomFieldForm(_InCustomerForm, forms.ModelForm):
    class Meta:
        model = CustomField
        fields = ["key", "value"]
        error_messages = {
            "key": {"invalid": _("Keys may contain only letters, digits, “-” and “_”.")}
        }


class BaseCustomFieldFormSet(forms.BaseInlineFormSet):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.management_form.fields.values():
            field.widget.attrs["form"] = CUSTOMER_FORM_ID

    def clean(self):
        super().clean()
        keys = [
            form.cleaned_data["key"]
            for form in self.forms
            if form.cleaned_data.get("key") and not form.cleaned_data.get("DELETE")
        ]
        if len(keys) != len(set(keys)):
            raise forms.ValidationError(_("Each custom field key can be used only once."))

    def as_dict(self) -> dict[str, str]:
        """The custom fields as they should be after saving: key → value."""
        return {
            form.cleaned_data["key"]: form.cleaned_data.get("value", "")
            for form in self.forms
            if form.cleaned_data.get("key") and not form.cleaned_data.get("DELETE")
        }


CustomFieldFormSet = forms.inlineformset_factory(
    Customer,
    CustomField,
    form=CustomFieldForm,
    formset=BaseCustomFieldFormSet,
    extra=1,
    can_delete=True,
)


class NoteForm(forms.ModelForm):
    class Meta:
        model = Note
        fields = ["text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 3})}


class VipForm(forms.Form):
    vip = forms.BooleanField(required=False, label=_("Set this customer as a VIP"))


class DeleteCustomersForm(forms.Form):
    """The delete confirmation: what happens to memberships and sites, and the typed proof."""

    related = forms.ChoiceField(
        label=_("Their memberships and sites"),
        choices={
            "delete": _("Delete them (memberships are cancelled first)"),
            "move": _("Move them to another customer"),
        },
        widget=forms.RadioSelect,
        initial="delete",
    )
    move_to = forms.CharField(
        required=False,
        label=_("Move them to"),
        help_text=_("Reference code, email address or username of the customer to receive them."),
    )
    confirmation = forms.CharField(label=_("Confirmation"), strip=False)

    def __init__(self, *args, customers, **kwargs):
        super().__init__(*args, **kwargs)
        self.customers = customers
        self.expected = (
            customers[0].email
            if len(customers) == 1
            else _("delete %(count)d customers") % {"count": len(customers)}
        )
        self.fields["confirmation"].help_text = _("Type %(expected)s to confirm.") % {
            "expected": self.expected
        }

    def clean_move_to(self):
        text = self.cleaned_data["move_to"].strip()
        if self.data.get("related") != "move":
            return None
        if not text:
            raise forms.ValidationError(_("Enter the customer who receives them."))
        heir = Customer.objects.find_one(text)
        if heir is None:
            raise forms.ValidationError(_("No customer matches “%(text)s”.") % {"text": text})
        if heir in self.customers:
            raise forms.ValidationError(_("Choose a customer who is not being deleted."))
        return heir

    def clean_confirmation(self):
        typed = self.cleaned_data["confirmation"]
        # Exact bytes: no trimming, no case folding, no look-alike characters.
        if not hmac.compare_digest(typed.encode(), str(self.expected).encode()):
            raise forms.ValidationError(
                _("That doesn't match. Type %(expected)s exactly.") % {"expected": self.expected}
            )
        return typed
