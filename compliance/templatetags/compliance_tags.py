"""Template helpers of contact compliance: the engine's times in the debtor's own zone (named,
in the locale's formats) and what a rule id means.

    {% load compliance_tags %}
    {{ decision.next_permitted_at|in_zone:debtor_zone }}
        -> "Fri 4 Dec 2026, 08:00 (America/Chicago)"
    {{ start|time_in_zone:debtor_zone }}  -> "08:00"
    {{ rule_id|rule_description }}
"""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import formats

from compliance import windows
from compliance.reasons import rule_description as _rule_description

register = template.Library()


def _local(value: dt.datetime, zone_name: str) -> dt.datetime | None:
    if not isinstance(value, dt.datetime) or value.tzinfo is None:
        return None
    name = zone_name if zone_name and windows.known_zone(zone_name) else ""
    return value.astimezone(windows.zone(name)) if name else None


@register.filter
def in_zone(value: dt.datetime | None, zone_name: str) -> str:
    """A date and time in `zone_name`, the zone named after it. The `date` filter would show
    the site's zone instead (Rome for a Chicago debtor)."""
    if value is None:
        return ""
    local = _local(value, zone_name)
    if local is None:
        return formats.date_format(value, "DATETIME_FORMAT")
    text = formats.date_format(local, "DATETIME_FORMAT")
    if not {"D", "l"} & set(formats.get_format("DATETIME_FORMAT")):
        text = f"{formats.date_format(local, 'D')} {text}"  # the day of the week, always
    return f"{text} ({zone_name})"


@register.filter
def short_in_zone(value: dt.datetime | None, zone_name: str) -> str:
    """A date and time in `zone_name`, short (tables); the zone is named in the heading."""
    if value is None:
        return ""
    local = _local(value, zone_name) or value
    return formats.date_format(local, "SHORT_DATETIME_FORMAT")


@register.filter
def time_in_zone(value: dt.datetime | None, zone_name: str) -> str:
    if value is None:
        return ""
    local = _local(value, zone_name) or value
    return formats.time_format(local, "TIME_FORMAT")


@register.filter
def rule_description(rule_id: str) -> str:
    return _rule_description(str(rule_id))
