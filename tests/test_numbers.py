"""Amounts written for rows: the same text as Django's floatformat, faster."""

from decimal import Decimal

import pytest
from django.template.defaultfilters import floatformat
from django.utils import translation

from network_admin.numbers import two_decimals

AMOUNTS = [
    Decimal("0"),
    Decimal("0.5"),
    Decimal("-0.001"),
    Decimal("999.99"),
    Decimal("1234.5"),
    Decimal("-1234.567"),
    Decimal("1234.565"),
    Decimal("1000000"),
    Decimal("9999999999.99"),
    12,
    1234.5,
    "1234.5",
    "not a number",
    None,
]


@pytest.mark.parametrize("language", ["en", "id"])
@pytest.mark.parametrize("amount", AMOUNTS)
def test_an_amount_reads_as_floatformat_writes_it(language, amount):
    with translation.override(language):
        assert two_decimals(amount) == floatformat(amount, "2g")


def test_each_language_groups_with_its_own_separators():
    assert two_decimals(Decimal("1234567.5")) == "1,234,567.50"
    with translation.override("id"):
        assert two_decimals(Decimal("1234567.5")) == "1.234.567,50"


def test_a_language_that_does_not_group_in_threes_is_written_by_floatformat(settings):
    settings.LANGUAGES = [("en", "English"), ("hi", "Hindi")]
    with translation.override("hi"):
        assert two_decimals(Decimal("1234567.5")) == floatformat(Decimal("1234567.5"), "2g")
