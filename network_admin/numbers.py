"""Amounts of money written as the active language writes them, fast enough for every row."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template.defaultfilters import floatformat
from django.utils import formats
from django.utils.translation import get_language

# A cent of any two-decimal currency: what amounts of money are rounded to.
CENT = Decimal("0.01")

# Each language's (thousands separator, decimal separator), or None where it doesn't group
# digits in threes; filled as languages are used.
_separators: dict[str | None, tuple[str, str] | None] = {}


def two_decimals(amount) -> str:
    """`amount` with two decimals and its digits grouped, exactly as `floatformat(amount, "2g")`
    writes it in the active language.

    floatformat looks the language's number format up on every call (~20 µs) and a list writes
    an amount or two per row; here a language's separators are looked up once, and Python's
    own grouping writes the digits.
    """
    separators = _separators_of(get_language())
    try:
        value = amount if isinstance(amount, Decimal) else Decimal(str(amount))
        value = value.quantize(CENT, ROUND_HALF_UP)
    except (InvalidOperation, ValueError, TypeError):
        separators = None
    if separators is None:
        return floatformat(amount, "2g")
    thousands, decimal = separators
    # floatformat writes no minus sign before an amount that rounds to zero.
    text = f"{value if value else abs(value):,.2f}"
    return text.translate({ord(","): thousands, ord("."): decimal})


def _separators_of(language: str | None) -> tuple[str, str] | None:
    try:
        return _separators[language]
    except KeyError:
        pass
    if formats.get_format("NUMBER_GROUPING", language) == 3:
        found = (
            formats.get_format("THOUSAND_SEPARATOR", language),
            formats.get_format("DECIMAL_SEPARATOR", language),
        )
    else:
        found = None
    _separators[language] = found
    return found


# Formats only change with settings, which only happens in tests.
@receiver(setting_changed, dispatch_uid="network_admin.numbers")
def _forget_separators(**kwargs):
    _separators.clear()
