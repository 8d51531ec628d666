"""Numbers, money, percentages and phone numbers as the reader's language writes them.

The one formatting path of every page: registered as a template builtin (config/settings.py),
so any template may write `{{ amount|money:currency }}` without a `{% load %}`.

Why not `floatformat:2|intcomma`: `floatformat` already localises ("40000,00" in Italian) and
humanize's `intcomma` then sees a string it cannot read as a number and inserts commas into
it ("40,000,00 EUR"). These filters format the number once, from the number, with Django's
locale formats (grouping forced), and place the currency where the language puts it:
"€40,000.00" in English, "40.000,00 €" in Italian (CLDR's patterns; a no-break space keeps
amount and symbol on one line).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import phonenumbers
from django import template
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language

register = template.Library()

NBSP = "\u00a0"
EMPTY = "—"

# Currency symbols by language (CLDR); a code not listed is written as its ISO code.
_SYMBOLS = {
    "en": {"EUR": "€", "GBP": "£", "USD": "$"},
    "it": {"EUR": "€", "GBP": "£", "USD": "USD"},
}
# Languages that write the symbol after the amount ("40.000,00 €").
_SYMBOL_AFTER = {"it"}


def _language() -> str:
    return (get_language() or "en").split("-")[0]


def _decimal(value: object) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return None
    return number if number.is_finite() else None


def number(value: object, places: int | str = 0) -> str:
    """A number with the language's decimal and thousands separators: 40,000.00 / 40.000,00."""
    amount = _decimal(value)
    if amount is None:
        return EMPTY if value in (None, "") else str(value)
    return number_format(amount, decimal_pos=int(places), use_l10n=True, force_grouping=True)


def money(value: object, currency: str | None = "") -> str:
    """An amount with two decimals and its currency where the language writes it."""
    amount = _decimal(value)
    if amount is None:
        return EMPTY if value in (None, "") else str(value)
    language = _language()
    digits = number(abs(amount), 2)
    sign = "-" if amount < 0 else ""
    code = (currency or "").upper()
    if not code:
        return f"{sign}{digits}"
    symbol = _SYMBOLS.get(language, _SYMBOLS["en"]).get(code, code)
    if language in _SYMBOL_AFTER:
        return f"{sign}{digits}{NBSP}{symbol}"
    if len(symbol) > 1:  # an ISO code, not a symbol: "CHF 40,000.00"
        return f"{sign}{symbol}{NBSP}{digits}"
    return f"{sign}{symbol}{digits}"


def percent(value: object, places: int | str | None = None) -> str:
    """A share (0.0036) as a percentage (0.36%), with a precision that fits its size.

    Fixed `places` if given; otherwise 10% and above without decimals, 1% to 10% with one,
    below 1% with two, and a non-zero share below 0.01% as "<0.01%" (never "0%": a small
    probability is not none).
    """
    share = _decimal(value)
    if share is None:
        return EMPTY if value in (None, "") else str(value)
    pct = share * 100
    if places not in (None, ""):
        return f"{number(pct, places)}%"
    size = abs(pct)
    if size == 0:
        return f"{number(0, 0)}%"
    if size < Decimal("0.01"):
        return f"<{number(Decimal('0.01') * (1 if pct > 0 else -1), 2)}%"
    decimals = 0 if size >= 10 else 1 if size >= 1 else 2
    return f"{number(pct, decimals)}%"


def phone_e164(value: object, region: str | None = None) -> str | None:
    """The number in E.164 (+390212345678) for a `tel:` link, or None when it is no number."""
    try:
        parsed = phonenumbers.parse(str(value), (region or "").upper() or None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def phone_display(value: object, region: str | None = None) -> str:
    """The number written for people: national format at home, international abroad."""
    e164 = phone_e164(value, region)
    if e164 is None:
        return str(value)
    parsed = phonenumbers.parse(e164)
    home = phonenumbers.region_code_for_number(parsed)
    fmt = (phonenumbers.PhoneNumberFormat.NATIONAL if region and home == region.upper()
           else phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return phonenumbers.format_number(parsed, fmt)


def tel_link(value: object, region: str | None = None) -> SafeString:
    """<a href="tel:+39...">02 1234 5678</a>; a value that is no phone number stays text."""
    e164 = phone_e164(value, region)
    if e164 is None:
        return format_html("{}", value)
    return format_html('<a href="tel:{}" class="tel">{}</a>', e164, phone_display(e164, region))


register.filter("number", number, is_safe=False)
register.filter("money", money, is_safe=False)
register.filter("percent", percent, is_safe=False)
register.filter("tel_link", tel_link, is_safe=True)
register.filter("phone_display", phone_display, is_safe=False)

