"""Start-up checks: a production process refuses settings that would be unsafe."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register


@register(Tags.security, deploy=True)
def production_settings_check(app_configs: Any, **kwargs: Any) -> list[Error | Warning]:
    problems: list[Error | Warning] = []
    engine = str(settings.DATABASES["default"]["ENGINE"])
    if not settings.EMBEDDED and engine.endswith("sqlite3"):
        problems.append(Error("Production needs PostgreSQL: set DATABASE_URL=postgres://…",
                              id="fido.E001"))
    if not settings.EMBEDDED and settings.CELERY_BROKER_URL.startswith("filesystem"):
        problems.append(Error("Production needs a real broker: set CELERY_BROKER_URL=redis://…",
                              id="fido.E002"))
    if settings.CELERY_TASK_ALWAYS_EAGER and not settings.EMBEDDED:
        problems.append(Warning("CELERY_TASK_ALWAYS_EAGER runs background work inside requests.",
                                id="fido.W001"))
    return problems


@register()
def app_labels_do_not_shadow_stdlib(app_configs: Any, **kwargs: Any) -> list[Error]:
    import sys

    from django.apps import apps

    return [
        Error(f"The app label {config.label!r} shadows a standard-library module.", id="fido.E003")
        for config in apps.get_app_configs()
        if config.label in sys.stdlib_module_names
    ]
