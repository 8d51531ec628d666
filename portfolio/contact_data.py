"""Normalising a debtor's identifiers, phones and time zone with well-kept libraries.

- phones: `phonenumbers` parses to E.164 and names the zones a number may be in;
- tax codes and VAT numbers: `python-stdnum` validates per country where it knows the format;
- time zone: from the address (country, and region where the country spans several zones).
"""

from __future__ import annotations

import phonenumbers
from phonenumbers import timezone as phone_timezone
from stdnum import get_cc_module
from stdnum.exceptions import ValidationError as StdnumValidationError

from access.errors import DomainError
from portfolio.messages import N_

# Countries spanning several zones need the region (ISO 3166-2 subdivision) to choose one;
# the rest take their single zone. Kept to the jurisdictions Fido's rule packs cover.
_SINGLE_ZONE = {
    "IT": "Europe/Rome", "GB": "Europe/London", "IE": "Europe/Dublin", "FR": "Europe/Paris",
    "DE": "Europe/Berlin", "ES": "Europe/Madrid", "PT": "Europe/Lisbon", "NL": "Europe/Amsterdam",
    "BE": "Europe/Brussels", "AT": "Europe/Vienna", "CH": "Europe/Zurich",
    "SM": "Europe/San_Marino",
    "VA": "Europe/Vatican", "GR": "Europe/Athens", "PL": "Europe/Warsaw", "RO": "Europe/Bucharest",
}
_US_STATE_ZONES = {
    **dict.fromkeys(["CT", "DE", "DC", "FL", "GA", "IN", "ME", "MD", "MA", "MI", "NH", "NJ", "NY",
                     "NC", "OH", "PA", "RI", "SC", "VT", "VA", "WV", "KY"], "America/New_York"),
    **dict.fromkeys(["AL", "AR", "IL", "IA", "KS", "LA", "MN", "MS", "MO", "NE", "ND", "OK", "SD",
                     "TN", "TX", "WI"], "America/Chicago"),
    **dict.fromkeys(["CO", "MT", "NM", "UT", "WY", "ID"], "America/Denver"),
    "AZ": "America/Phoenix",
    **dict.fromkeys(["CA", "NV", "OR", "WA"], "America/Los_Angeles"),
    "AK": "America/Anchorage",
    "HI": "Pacific/Honolulu",
}
_ES_REGION_ZONES = {"CN": "Atlantic/Canary"}
_PT_REGION_ZONES = {"20": "Atlantic/Azores"}


def timezone_from_address(country: str, region: str = "") -> str:
    """The IANA zone of an address, or "" when the country spans zones and the region is unknown."""
    country = country.upper()
    region = region.upper().removeprefix(f"{country}-")
    if country == "US":
        return _US_STATE_ZONES.get(region, "")
    if country == "ES" and region in _ES_REGION_ZONES:
        return _ES_REGION_ZONES[region]
    if country == "PT" and region in _PT_REGION_ZONES:
        return _PT_REGION_ZONES[region]
    return _SINGLE_ZONE.get(country, "")


def phone_normalise(raw: str, *, default_country: str) -> tuple[str, list[str]]:
    """Return (E.164 number, candidate IANA zones) or raise DomainError naming the problem."""
    try:
        number = phonenumbers.parse(raw, default_country.upper())
    except phonenumbers.NumberParseException:
        raise DomainError(N_("%(number)s is not a phone number.") % {"number": repr(raw)},
                          code="bad_phone", field="phone") from None
    if not phonenumbers.is_valid_number(number):
        raise DomainError(N_("%(number)s is not a valid phone number for its country.")
                          % {"number": repr(raw)}, code="bad_phone", field="phone")
    zones = [zone for zone in phone_timezone.time_zones_for_number(number)
             if zone != phone_timezone.UNKNOWN_TIMEZONE]
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), zones


# python-stdnum names personal tax codes per country; only those with a public checksum.
_PERSONAL_ID_MODULES = {"it": "codicefiscale", "es": "nif"}


def identifier_validate(value: str, *, country: str, kind: str) -> str:
    """Validate a VAT number (kind="vat") or personal tax code (kind="personalid") for the
    country when python-stdnum knows its format; return the compact form."""
    value = value.strip()
    if not value:
        return ""
    name = _PERSONAL_ID_MODULES.get(country.lower(), "") if kind == "personalid" else kind
    try:
        module = get_cc_module(country.lower(), name) if name else None
    except ImportError:
        module = None
    if module is None:
        return value.upper()
    try:
        return module.validate(value)
    except StdnumValidationError as error:
        refusal = (N_("%(value)s is not a valid %(country)s VAT number: %(error)s.")
                   if kind == "vat"
                   else N_("%(value)s is not a valid %(country)s tax code: %(error)s."))
        raise DomainError(refusal % {"value": repr(value), "country": country.upper(),
                                     "error": error},
                          code="bad_identifier", field="vat_number" if kind == "vat"
                          else "tax_code") from None
