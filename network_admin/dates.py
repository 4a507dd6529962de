"""Dates written as the active language writes them, fast enough for every row of a list.

Django's `formats.date_format` looks up and parses the language's format on every call, and
humanize's `naturaltime` translates its phrases on every call: up to 15–20 µs a call each, a few
calls per row.
Here each language's format is parsed once, and every translated piece of text is made by Django
itself the first time it occurs in a language and then looked up, so the text is the same as
those two functions write.
"""

from datetime import UTC, datetime
from operator import attrgetter, methodcaller

from django.contrib.humanize.templatetags.humanize import NaturalTimeFormatter
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils import formats
from django.utils.autoreload import file_changed
from django.utils.dateformat import DateFormat, re_escaped, re_formatchars
from django.utils.timesince import MONTHS_DAYS, timesince, timeuntil
from django.utils.timezone import is_aware
from django.utils.translation import get_language

# Format characters that are plain numbers, written as django.utils.dateformat.DateFormat does.
NUMBERS = {
    "d": lambda value: f"{value.day:02}",
    "j": lambda value: str(value.day),
    "m": lambda value: f"{value.month:02}",
    "n": lambda value: str(value.month),
    "y": lambda value: f"{value.year % 100:02}",
    "Y": lambda value: f"{value.year:04}",
    "G": lambda value: str(value.hour),
    "H": lambda value: f"{value.hour:02}",
    "g": lambda value: str(value.hour % 12 or 12),
    "h": lambda value: f"{value.hour % 12 or 12:02}",
    "i": lambda value: f"{value.minute:02}",
    "s": lambda value: f"{value.second:02}",
}

# Format characters whose text is translated, by what that text depends on.
TRANSLATED = {
    "a": attrgetter("hour"),
    "A": attrgetter("hour"),
    "P": attrgetter("hour", "minute"),
    "b": attrgetter("month"),
    "E": attrgetter("month"),
    "F": attrgetter("month"),
    "M": attrgetter("month"),
    "N": attrgetter("month"),
    "D": methodcaller("weekday"),
    "l": methodcaller("weekday"),
}

# Seconds in the units of timesince's "2 weeks, 3 days" smaller than a month.
WEEK, DAY, HOUR, MINUTE = 7 * 24 * 3600, 24 * 3600, 3600, 60

# Filled as languages and formats are used; both hold text in the language of their key.
_compiled_formats = {}
_phrases = {}


def format_date(value: datetime, format_name: str = "DATE_FORMAT") -> str:
    """`value` written with one of the active language's formats ("DATE_FORMAT",
    "SHORT_DATETIME_FORMAT"…), exactly as `django.utils.formats.date_format` writes it."""
    key = (get_language(), format_name)
    try:
        template, fields = _compiled_formats[key]
    except KeyError:
        template, fields = _compiled_formats[key] = _compile(formats.get_format(format_name))
    return template % tuple([field(value) for field in fields])


def _compile(format_string):
    """A %-template of the format's literal text, and a function per format character."""
    template = []
    fields = []
    # Split and unescape the way DateFormat.format does: odd pieces are format characters.
    for position, piece in enumerate(re_formatchars.split(str(format_string))):
        if position % 2:
            template.append("%s")
            fields.append(_field(piece))
        else:
            template.append(re_escaped.sub(r"\1", piece).replace("%", "%%"))
    return "".join(template), tuple(fields)


def _field(character):
    if character in NUMBERS:
        return NUMBERS[character]
    if character in TRANSLATED:
        return _translated_field(character, TRANSLATED[character])

    # The rare characters (time zone, ISO week, RFC 5322…) are left to Django.
    def rare_field(value):
        return str(getattr(DateFormat(value), character)())

    return rare_field


def _translated_field(character, depends_on):
    """A field whose text DateFormat makes once per value of what it depends on (a month's
    name, "noon" or "1:30 p.m."…), in the language active when the format was compiled: the one
    `format_date` looked it up under."""
    texts = {}

    def translated_field(value):
        key = depends_on(value)
        try:
            return texts[key]
        except KeyError:
            text = texts[key] = str(getattr(DateFormat(value), character)())
            return text

    return translated_field


def natural_time(value: datetime) -> str:
    """How long ago or from now `value` is ("3 minutes ago", "1 month, 2 weeks from now"),
    exactly as `django.contrib.humanize`'s `naturaltime` says it."""
    now = datetime.now(UTC if is_aware(value) else None)
    direction = "past" if value < now else "future"
    delta = abs(now - value)
    if delta.days:
        # Past a day the phrase depends on the calendar ("1 month" is 28 to 31 days).
        key = (get_language(), f"{direction}-day", _calendar_difference(value, now, direction))
        try:
            return _phrases[key]
        except KeyError:
            phrase = _phrases[key] = _days_phrase(value, now, direction)
            return phrase
    if not delta.seconds:
        phrase_name, count = "now", 0
    elif delta.seconds < MINUTE:
        phrase_name, count = f"{direction}-second", delta.seconds
    elif delta.seconds < HOUR:
        phrase_name, count = f"{direction}-minute", delta.seconds // MINUTE
    else:
        phrase_name, count = f"{direction}-hour", delta.seconds // HOUR
    key = (get_language(), phrase_name, count)
    try:
        return _phrases[key]
    except KeyError:
        phrase = _phrases[key] = NaturalTimeFormatter.time_strings[phrase_name] % {"count": count}
        return phrase


def _days_phrase(value, now, direction):
    if direction == "past":
        delta = timesince(value, now, time_strings=NaturalTimeFormatter.past_substrings)
    else:
        delta = timeuntil(value, now, time_strings=NaturalTimeFormatter.future_substrings)
    return NaturalTimeFormatter.time_strings[f"{direction}-day"] % {"delta": delta}


def _calendar_difference(value, now, direction):
    """What timesince's phrase for the day or more between `value` and `now` depends on: the
    largest unit that isn't zero (0 for years … 5 for minutes), its count and the next unit's
    count ("1 year, 3 months"). Counted on the wall clock of `value`'s time zone, as timesince
    counts."""
    if now.tzinfo is not None:
        now = now.astimezone(value.tzinfo)
    earlier, later = (value, now) if direction == "past" else (now, value)
    delta = later - earlier
    months = 0
    # Fewer than 28 days can't hold a whole month.
    if delta.days >= 28:
        months = (later.year - earlier.year) * 12 + later.month - earlier.month
        if (earlier.day, earlier.time()) > (later.day, later.time()):
            months -= 1
    if months:
        # What is left after the whole months is counted from that same day of the month (or the
        # month's last day, taking February as 28 days as timesince does).
        years_on, month_index = divmod(earlier.month - 1 + months, 12)
        pivot = earlier.replace(
            year=earlier.year + years_on,
            month=month_index + 1,
            day=min(MONTHS_DAYS[month_index], earlier.day),
            microsecond=0,
        )
        delta = later - pivot
    weeks, seconds = divmod(delta.days * DAY + delta.seconds, WEEK)
    days, seconds = divmod(seconds, DAY)
    hours, seconds = divmod(seconds, HOUR)
    counts = (*divmod(months, 12), weeks, days, hours, seconds // MINUTE)
    largest = next(unit for unit, count in enumerate(counts) if count)
    return largest, counts[largest : largest + 2]


# A changed setting (languages, locale paths, formats…) only happens in tests, and the development
# server re-reads changed translation files without restarting: either may change the text.
@receiver(setting_changed, dispatch_uid="network_admin.dates")
def _forget_everything(**kwargs):
    _compiled_formats.clear()
    _phrases.clear()


@receiver(file_changed, dispatch_uid="network_admin.dates")
def _forget_on_translation_change(sender, file_path, **kwargs):
    if file_path.suffix == ".mo":
        _forget_everything()
