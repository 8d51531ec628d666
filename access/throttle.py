"""Login throttling: after LOGIN_MAX_FAILURES failures for one username from one address the
pair is locked for LOGIN_LOCKOUT_SECONDS. Counting per pair (not per username alone) stops an
attacker from locking a real user out from elsewhere."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache


def _key(username: str, address: str) -> str:
    digest = hashlib.sha256(f"{username.lower()}|{address}".encode()).hexdigest()[:32]
    return f"login-failures:{digest}"


def client_address(meta: dict[str, str]) -> str:
    return meta.get("REMOTE_ADDR", "unknown")


def login_is_locked(username: str, address: str) -> bool:
    return cache.get(_key(username, address), 0) >= settings.LOGIN_MAX_FAILURES


def login_failure_record(username: str, address: str) -> None:
    key = _key(username, address)
    if cache.add(key, 1, timeout=settings.LOGIN_LOCKOUT_SECONDS):
        return
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=settings.LOGIN_LOCKOUT_SECONDS)


def login_failures_clear(username: str, address: str) -> None:
    cache.delete(_key(username, address))
