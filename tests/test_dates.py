"""Dates written fast (network_admin.dates) read exactly as Django's own formatting writes them,
in every language the app has and in any time zone."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.test import override_settings
from django.utils import formats, timezone, translation
from django.utils.html import format_html

from network_admin.dates import format_date, natural_time
from network_admin.templatetags.ui import calendar_date, time_ago
from tests.factories import CustomerFactory

LANGUAGES = [code for code, _name in settings.LANGUAGES]
NEW_YORK = ZoneInfo("America/New_York")

# One moment in every month, with the times the "P" format words differently (midnight, noon,
# 12:30 a.m.…), single-digit days and the last day of months.
MOMENTS = [
    datetime(2025, 1, 5, 0, 0),
    datetime(2025, 2, 14, 12, 0),
    datetime(2025, 3, 9, 0, 30),
    datetime(2025, 4, 1, 12, 5),
    datetime(2025, 5, 31, 23, 59, 59, 999999),
    datetime(2024, 6, 30, 9, 7),
    datetime(2024, 7, 4, 13, 0),
    datetime(2024, 8, 15, 11, 59),
    datetime(2024, 9, 1, 1, 0),
    datetime(2024, 10, 10, 22, 45),
    # Clocks go back in New York that night, so 1:30 happens twice and has no single offset.
    datetime(2024, 11, 3, 1, 30),
    datetime(2024, 12, 31, 18, 0),
]
VALUES = [
    moment.replace(tzinfo=zone)
    for moment in MOMENTS
    for zone in (UTC, ZoneInfo("Asia/Jakarta"), NEW_YORK)
]
FORMAT_NAMES = [
    "DATE_FORMAT",
    "DATETIME_FORMAT",
    "SHORT_DATE_FORMAT",
    "SHORT_DATETIME_FORMAT",
    "TIME_FORMAT",
    "YEAR_MONTH_FORMAT",
    "MONTH_DAY_FORMAT",
    # Not a name: Django uses the text as the format itself. Every character it knows, then
    # escaped characters and a percent sign, which mean nothing to it.
    "a A b c d D e E f F g G h H i I j l L m M n N o O P r s S t T u U w W y Y z Z",
    r"\Y\e\a\r Y, % \\j",
]


@pytest.mark.parametrize("format_name", FORMAT_NAMES)
@pytest.mark.parametrize("language", LANGUAGES)
def test_format_date_writes_what_django_writes(language, format_name):
    with translation.override(language):
        assert [format_date(value, format_name) for value in VALUES] == [
            formats.date_format(value, format_name) for value in VALUES
        ]


def test_format_date_writes_the_languages_date_by_default():
    value = datetime(2025, 3, 3, 15, 30, tzinfo=UTC)
    with translation.override("id"):
        assert format_date(value) == "3 Maret 2025"


# Where naturaltime changes its wording: now, seconds, minutes, hours, then the calendar's
# days, weeks, months (28 to 31 days) and years, each with the next unit or without.
OFFSETS = [
    timedelta(0),
    timedelta(microseconds=300),
    timedelta(seconds=1),
    timedelta(seconds=30),
    timedelta(seconds=59),
    timedelta(minutes=1),
    timedelta(minutes=3, seconds=20),
    timedelta(minutes=59, seconds=59),
    timedelta(hours=1),
    timedelta(hours=5, minutes=10),
    timedelta(hours=23, minutes=59),
    timedelta(days=1),
    timedelta(days=2, hours=5),
    timedelta(days=6, hours=23, minutes=59),
    timedelta(days=7),
    timedelta(days=17, hours=3),
    timedelta(days=27, hours=23),
    timedelta(days=28),
    timedelta(days=29, hours=12),
    timedelta(days=31),
    timedelta(days=45, hours=1),
    timedelta(days=59, hours=12),
    timedelta(days=200),
    timedelta(days=364, hours=23),
    timedelta(days=365),
    timedelta(days=366, minutes=1),
    timedelta(days=400),
    timedelta(days=800, hours=7),
    timedelta(days=3650),
]
# Month ends, a leap day and a new year, where counting whole months is hardest; from the end of
# February, the shortest month is 28 days away.
NOWS = [
    datetime(2025, 3, 31, 10, 0, tzinfo=UTC),
    datetime(2025, 2, 28, 8, 0, tzinfo=UTC),
    datetime(2024, 2, 29, 23, 59, 30, tzinfo=UTC),
    datetime(2025, 1, 1, 0, 0, 0, 500000, tzinfo=UTC),
]


@pytest.mark.parametrize("zone", [UTC, NEW_YORK])
@pytest.mark.parametrize("now", NOWS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_natural_time_says_what_naturaltime_says(language, now, zone):
    # timesince counts months on the wall clock of the value's time zone, so try two.
    values = [(now + offset).astimezone(zone) for offset in OFFSETS]
    values += [(now - offset).astimezone(zone) for offset in OFFSETS]
    with translation.override(language), time_machine.travel(now, tick=False):
        assert [natural_time(value) for value in values] == [
            str(naturaltime(value)) for value in values
        ]


@pytest.mark.parametrize("zone", [UTC, NEW_YORK])
@pytest.mark.parametrize("now", NOWS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_natural_time_says_what_naturaltime_says_hour_by_hour_for_three_years(language, now, zone):
    # Steps of 31 hours land on every hour of the day and every day of the month in turn, so
    # differences that read alike and differences that read differently meet.
    offsets = [timedelta(hours=hours, seconds=7) for hours in range(0, 3 * 365 * 24, 31)]
    values = [(now + offset).astimezone(zone) for offset in offsets]
    values += [(now - offset).astimezone(zone) for offset in offsets]
    with translation.override(language), time_machine.travel(now, tick=False):
        assert [natural_time(value) for value in values] == [
            str(naturaltime(value)) for value in values
        ]


def test_each_language_gets_its_own_text_when_switching_between_calls():
    value = datetime(2025, 3, 3, 0, 0, tzinfo=UTC)
    written = []
    with time_machine.travel(value + timedelta(days=45, hours=1), tick=False):
        for language in ["en", "id", "en", "id"]:
            with translation.override(language):
                written.append((format_date(value, "DATETIME_FORMAT"), natural_time(value)))
    english = ("March 3, 2025, midnight", "1\xa0month, 2\xa0weeks ago")
    indonesian = ("3 Maret 2025, 0.00", "1\xa0bulan, 2\xa0minggu yang lalu")
    assert written == [english, indonesian, english, indonesian]


@pytest.mark.parametrize("zone", ["Asia/Jakarta", "America/New_York"])
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_date_tags_write_what_they_wrote_with_djangos_formatting(language, zone):
    now = datetime(2025, 3, 31, 10, 0, tzinfo=UTC)
    moments = [now - timedelta(minutes=3), now - timedelta(days=40), now + timedelta(days=9)]
    moments += [moment.replace(tzinfo=UTC) for moment in MOMENTS]
    with (
        override_settings(TIME_ZONE=zone),
        timezone.override(zone),
        translation.override(language),
        time_machine.travel(now, tick=False),
    ):
        for when in moments:
            local = timezone.localtime(when)
            exact = formats.date_format(local, "DATETIME_FORMAT")
            tag = '<time datetime="{}" title="{}">{}</time>'
            assert time_ago(when) == format_html(tag, local.isoformat(), exact, naturaltime(when))
            assert calendar_date(when) == format_html(
                tag, local.isoformat(), exact, formats.date_format(local, "DATE_FORMAT")
            )
            assert calendar_date(when, "SHORT_DATE_FORMAT", hover=False) == format_html(
                '<time datetime="{}">{}</time>',
                local.isoformat(),
                formats.date_format(local, "SHORT_DATE_FORMAT"),
            )


@pytest.mark.django_db
def test_pages_show_dates_in_the_networks_time_zone_and_leave_none_active(admin_client):
    # 20:00 in London on New Year's Eve is already New Year's Day in Jakarta.
    CustomerFactory(created_at=datetime(2025, 12, 31, 20, 0, tzinfo=UTC))
    with override_settings(TIME_ZONE="Asia/Jakarta"):
        page = admin_client.get("/customers/", {"view": "list"}).content.decode()
        assert "Jan. 1, 2026" in page and "Dec. 31, 2025" not in page
    with override_settings(TIME_ZONE="America/New_York"):
        assert timezone.localtime(datetime(2026, 1, 1, 3, 0, tzinfo=UTC)).hour == 22
