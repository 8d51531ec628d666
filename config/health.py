"""GET /health/: database, broker and worker status, for load balancers and operators.

Answers 200 when the database and broker answer, 503 otherwise. The worker is reported but a
missing worker does not fail the check (web pages still work without one); `?strict=1` makes it.
An anonymous caller (a load balancer) reads only {"status": "ok" | "error"}; the details
(database vendor, broker address, worker names, error texts) are for signed-in staff only.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from config.celery import HEARTBEAT_CACHE_KEY
from config.celery import app as celery_app

HEARTBEAT_MAX_AGE = dt.timedelta(minutes=2)


def _timed(check: Any) -> dict[str, Any]:
    started = time.monotonic()
    try:
        detail = check()
        status = "ok"
    except Exception as error:
        detail = f"{type(error).__name__}: {error}"
        status = "error"
    return {"status": status, "detail": detail,
            "ms": round((time.monotonic() - started) * 1000, 1)}


def _database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return connection.vendor


def _broker() -> str:
    # The URL is read from settings at each check, so an operator sees the broker in force.
    with celery_app.connection_for_write(url=settings.CELERY_BROKER_URL) as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
        return conn.transport_cls if isinstance(conn.transport_cls, str) else conn.as_uri()


def _workers() -> str:
    """A worker is alive if it ran beat's heartbeat task lately, or answers a ping (brokers
    with broadcast support). The heartbeat also proves beat runs."""
    beat = cache.get(HEARTBEAT_CACHE_KEY)
    if beat and dt.datetime.fromisoformat(beat) > timezone.now() - HEARTBEAT_MAX_AGE:
        return f"heartbeat at {beat}"
    if not settings.CELERY_BROKER_URL.startswith("filesystem"):
        replies = celery_app.control.ping(timeout=1.0) or []
        names = sorted(name for reply in replies for name in reply)
        if names:
            return f"ping answered by {', '.join(names)}"
    raise RuntimeError("no worker heartbeat in the last 2 minutes and no ping answer")


@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    report = {"database": _timed(_database), "broker": _timed(_broker),
              "worker": _timed(_workers)}
    required = ["database", "broker"] + (["worker"] if request.GET.get("strict") else [])
    healthy = all(report[name]["status"] == "ok" for name in required)
    body: dict[str, Any] = {"status": "ok" if healthy else "error"}
    if request.user.is_authenticated and request.user.is_staff:
        body.update(report)
    return JsonResponse(body, status=200 if healthy else 503)
