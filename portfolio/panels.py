"""Panels that higher apps add to the debtor page, so the ledger never imports them.

The debtor page is where an agent or a credit manager reads a debtor's whole story; credit
limits, contact rules and scores live in apps above `portfolio` in the dependency order. Each
of those apps registers a panel in its AppConfig.ready(): a template and a function that
returns the template's context for one debtor and request, or None when the user may not see
it. Panels render in `order`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from portfolio.models import Debtor

PanelContext = Callable[[HttpRequest, Debtor], dict[str, Any] | None]


@dataclass(frozen=True)
class DebtorPanel:
    key: str
    template: str
    context: PanelContext
    order: int = 100


@dataclass(frozen=True)
class RenderedPanel:
    key: str
    template: str
    context: dict[str, Any]


_PANELS: dict[str, DebtorPanel] = {}


def debtor_panel_register(panel: DebtorPanel) -> None:
    """Register (or replace, by key: ready() may run twice in tests) a debtor-page panel."""
    _PANELS[panel.key] = panel


def debtor_panels_for(request: HttpRequest, debtor: Debtor) -> list[RenderedPanel]:
    rendered = []
    for panel in sorted(_PANELS.values(), key=lambda each: (each.order, each.key)):
        context = panel.context(request, debtor)
        if context is not None:
            rendered.append(RenderedPanel(panel.key, panel.template, context))
    return rendered
