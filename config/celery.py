"""The Celery application. Tasks live in each app's tasks.py and are discovered."""

import gc
import os

from celery import Celery
from celery.signals import worker_init, worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("fido")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

HEARTBEAT_CACHE_KEY = "fido:worker-heartbeat"


@worker_init.connect
@worker_process_init.connect
def worker_gc_freeze(**_kwargs: object) -> None:
    """Put what a worker has loaded at start (Django, scikit-learn, every app's modules) out
    of the cyclic garbage collector's reach, for the life of the process.

    Those objects live as long as the process, yet each full collection walks them all again:
    about 90 ms, several times in a batch chunk that allocates many small objects, and on
    PostgreSQL the chunk's reader threads wait for it. Frozen, a full collection walks only
    what was made since (under a millisecond). Called in the parent before it forks
    (`worker_init`: the children also share those pages instead of copying them when the
    collector would have touched them) and in each child (`worker_process_init`).
    """
    gc.freeze()


@app.task(name="fido.heartbeat_task", ignore_result=True, time_limit=30, soft_time_limit=20)
def heartbeat_task() -> None:
    """Run by beat every 30 s: proves to /health/ that beat and a worker are both alive, on any
    broker (the filesystem transport cannot answer a broadcast ping)."""
    from django.core.cache import cache
    from django.utils import timezone

    cache.set(HEARTBEAT_CACHE_KEY, timezone.now().isoformat(), timeout=600)
