import unicodedata

from django import forms
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.utils.translation import gettext_lazy as _

from customers.models import Customer, User

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
    VIEWS = {"grid": _("Cards"), "list": _("Rows")}

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


class ViewPreferenceForm(forms.Form):
    view = forms.ChoiceField(choices=CustomerListForm.VIEWS)


class BulkActionForm(forms.Form):
    ACTIONS = {
        "mark_vip": _("Mark VIP"),
        "remove_vip": _("Remove VIP"),
        "export": _("Export selected"),
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
