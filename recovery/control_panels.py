"""Panels that higher apps add to the team leader's control room, so recovery never imports
them (the dependency order is recovery <- experience <- insights).

An app registers a panel in its AppConfig.ready(): a template and a function that returns the
template's context for the request, or None when the user may not see it. The control room
renders them below its own panes, inside the live part that refreshes every few seconds, in
`order`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

PanelContext = Callable[[HttpRequest], dict[str, Any] | None]


@dataclass(frozen=True)
class ControlPanel:
    key: str
    template: str
    context: PanelContext
    order: int = 100


@dataclass(frozen=True)
class RenderedControlPanel:
    key: str
    template: str
    context: dict[str, Any]


_PANELS: dict[str, ControlPanel] = {}


def control_panel_register(panel: ControlPanel) -> None:
    """Register (or replace, by key: ready() may run twice in tests) a control-room panel."""
    _PANELS[panel.key] = panel


def control_panels_for(request: HttpRequest) -> list[RenderedControlPanel]:
    rendered = []
    for panel in sorted(_PANELS.values(), key=lambda each: (each.order, each.key)):
        context = panel.context(request)
        if context is not None:
            rendered.append(RenderedControlPanel(panel.key, panel.template, context))
    return rendered
