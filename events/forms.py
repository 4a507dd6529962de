import datetime

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from events.models import SENTENCES, Event
from network_admin.expressions import InlinedValue

DATE_PICKER = forms.DateInput(attrs={"type": "date"})
BIGGEST_ID = 2**63 - 1  # A database's big integer; past it a lookup fails instead of matching.


class EventFilterForm(forms.Form):
    """The events list's filters, all in the query string. An invalid filter is reported next
    to its field and ignored, so a stale bookmark still lists events."""

    SYSTEM = "system"

    action = forms.ChoiceField(
        label=_("Action"),
        required=False,
        choices=[("", _("Any action")), *((action, action) for action in sorted(SENTENCES))],
    )
    severity = forms.ChoiceField(
        label=_("Severity"),
        required=False,
        choices=[("", _("Any severity")), *Event.Severity.choices],
    )
    actor = forms.ChoiceField(label=_("Actor"), required=False)
    customer = forms.IntegerField(
        required=False, min_value=1, max_value=BIGGEST_ID, widget=forms.HiddenInput
    )
    since = forms.DateField(label=_("From"), required=False, widget=DATE_PICKER)
    until = forms.DateField(label=_("To"), required=False, widget=DATE_PICKER)

    def __init__(self, data, *, user):
        super().__init__(data)
        self.fields["actor"].choices = [
            ("", _("Anyone")),
            (self.SYSTEM, _("System")),
            *((str(person.pk), str(person)) for person in _people_who_act(user, data.get("actor"))),
        ]

    def clean(self):
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and until < since:
            self.add_error("until", _("The end date is before the start date."))
        return cleaned

    @property
    def is_filtered(self) -> bool:
        return any(self.cleaned_data.get(name) for name in self.fields)

    def filter(self, events):
        """`events` narrowed by every valid filter."""
        self.is_valid()
        values = self.cleaned_data
        if values.get("action"):
            events = events.filter(action=values["action"])
        if values.get("severity"):
            # Errors are 1.5 % of events, successes 70 %: each planned for itself.
            events = events.filter(severity=InlinedValue(values["severity"]))
        if values.get("actor") == self.SYSTEM:
            events = events.filter(actor__isnull=True)
        elif values.get("actor"):
            events = events.filter(actor_id=values["actor"])
        if values.get("customer"):
            events = events.filter(customer_id=values["customer"])
        # Whole days in the admin's time zone; "To" includes its day.
        since = _start_of(values.get("since"))
        if since:
            events = events.filter(created_at__gte=since)
        until = _start_of(values.get("until"), days_later=1)
        if until:
            events = events.filter(created_at__lt=until)
        return events


def _people_who_act(user, chosen: str | None):
    """The actor filter's people: whoever holds a role, the signed-in admin, and the person
    `chosen` names (a customer can act too). Roles are looked up through their groups: finding
    staff by `is_staff` would read every row of a table of a million customers."""
    User = get_user_model()
    named = [user.pk]
    if chosen and chosen.isdigit() and int(chosen) <= BIGGEST_ID:
        named.append(int(chosen))
    return (
        User.objects.filter(groups__isnull=False)
        .union(User.objects.filter(pk__in=named))
        .order_by("first_name", "last_name", "username")
    )


def _start_of(day: datetime.date | None, days_later: int = 0) -> datetime.datetime | None:
    """The moment `day` (plus `days_later`) begins; None for no day, or one so close to the
    calendar's ends (year 1, year 9999) that it bounds nothing."""
    if day is None:
        return None
    try:
        midnight = datetime.datetime.combine(day + datetime.timedelta(days_later), datetime.time())
        return timezone.make_aware(midnight).astimezone(datetime.UTC)
    except OverflowError:
        return None
