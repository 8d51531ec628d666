"""Template helpers of credit: read a statement figure by name, look a debtor's utilisation up
in the mapping credit_utilisation_for_debtors returned for a list page."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def figure(statement: Any, name: str) -> Any:
    return getattr(statement, name, None)


@register.inclusion_tag("credit/_utilisation.html")
def credit_utilisation(debtor: Any) -> dict[str, Any]:
    """One debtor's page: {% load credit_tags %}{% credit_utilisation debtor %} (one query).
    List pages call credit_utilisation_for_debtors once and use utilisation_for instead."""
    from credit.selectors import credit_utilisation_for_debtors

    return {"utilisation": credit_utilisation_for_debtors([debtor.pk]).get(debtor.pk)}


@register.filter
def utilisation_for(utilisations: dict[int, Any], debtor_id: int) -> Any:
    """Use: {% include "credit/_utilisation.html"
    with utilisation=utilisations|utilisation_for:debtor.pk %}"""
    return (utilisations or {}).get(debtor_id)


@register.filter
def flag_text(flag: dict[str, Any], currency: str = "") -> str:
    """A statement flag in the reader's language: {{ flag|flag_text:debtor.client.currency }}."""
    from credit.texts import flag_message

    return flag_message(flag, currency)


@register.filter
def record_text(text: str) -> str:
    """A sentence Fido wrote into the record, in the reader's language."""
    from credit.texts import record_text as translated

    return translated(text)


@register.filter
def direction(value: str) -> str:
    """A ratio's trend (improving, worsening, stable, n/a) in the reader's language."""
    from credit.texts import direction as translated

    return translated(value)
