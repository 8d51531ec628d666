"""Template helpers of credit: read a statement figure by name, look a debtor's utilisation up
in the mapping credit_utilisation_for_debtors returned for a list page."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def figure(statement: Any, name: str) -> Any:
    return getattr(statement, name, None)


@register.filter
def utilisation_for(utilisations: dict[int, Any], debtor_id: int) -> Any:
    """Use: {% include "credit/_utilisation.html"
    with utilisation=utilisations|utilisation_for:debtor.pk %}"""
    return (utilisations or {}).get(debtor_id)
