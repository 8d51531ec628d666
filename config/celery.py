"""The Celery application. Tasks live in each app's tasks.py and are discovered."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("fido")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

HEARTBEAT_CACHE_KEY = "fido:worker-heartbeat"


@app.task(name="fido.heartbeat", ignore_result=True, time_limit=30, soft_time_limit=20)
def heartbeat_task() -> None:
    """Run by beat every 30 s: proves to /health/ that beat and a worker are both alive, on any
    broker (the filesystem transport cannot answer a broadcast ping)."""
    from django.core.cache import cache
    from django.utils import timezone

    cache.set(HEARTBEAT_CACHE_KEY, timezone.now().isoformat(), timeout=600)
