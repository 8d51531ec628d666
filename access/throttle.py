"""Login throttling, one accounting for every way to authenticate.

The web login, the admin login and the API token endpoint all authenticate through
`access.backends.ThrottledModelBackend`, which refuses a locked attempt and records every
failure here; the entry points only read the lock to explain it (a form error, a 429). So a
user locked out on the web cannot get an API token either.

Two counters, both in Django's cache (shared by every process: the database cache in the
embedded mode, Redis when CACHE_URL is set):
- per (username, address): LOGIN_MAX_FAILURES failures lock the pair for
  LOGIN_LOCKOUT_SECONDS. Counting per pair (not per username alone) stops an attacker from
  locking a real user out from elsewhere.
- per address, across usernames: LOGIN_MAX_FAILURES_PER_ADDRESS failures within
  LOGIN_ADDRESS_WINDOW_SECONDS lock the address. This catches slow password spraying (one
  guess for each of many usernames), which the pair counter never sees. A successful login
  does not clear it: one valid account must not reset an attacker's count.

Each failure restarts its counter's expiry (a sliding window), so guesses spaced just under
the window still add up.
"""

from __future__ import annotations

import hashlib
from typing import Any, Literal

from django.conf import settings
from django.core.cache import cache

Lock = Literal["account", "address"]


def _digest(text: str) -> str:
    # Hashed: the cache (a database table in the embedded mode) holds no usernames.
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _pair_key(username: str, address: str) -> str:
    return f"login-failures:{_digest(f'{username.lower()}|{address}')}"


def _address_key(address: str) -> str:
    return f"login-failures-address:{_digest(address)}"


def client_address(request: Any) -> str:
    """The caller's address: REMOTE_ADDR (a deployment behind a proxy must set it from the
    proxy's header in the WSGI server, never trust a header here)."""
    meta = getattr(request, "META", None) or {}
    return meta.get("REMOTE_ADDR") or "unknown"


def login_lock(username: str, address: str) -> Lock | None:
    """Why a login from `address` as `username` is refused now, or None."""
    counts = cache.get_many([_pair_key(username, address), _address_key(address)])
    if counts.get(_pair_key(username, address), 0) >= settings.LOGIN_MAX_FAILURES:
        return "account"
    if counts.get(_address_key(address), 0) >= settings.LOGIN_MAX_FAILURES_PER_ADDRESS:
        return "address"
    return None


def login_is_locked(username: str, address: str) -> bool:
    return login_lock(username, address) is not None


def _count(key: str, timeout: int) -> None:
    # add + incr are atomic on every cache backend; touch then restarts the expiry (the
    # database cache's incr would otherwise reset it to the cache's default timeout).
    if not cache.add(key, 1, timeout=timeout):
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=timeout)
    cache.touch(key, timeout)


def login_failure_record(username: str, address: str) -> None:
    _count(_pair_key(username, address), settings.LOGIN_LOCKOUT_SECONDS)
    _count(_address_key(address), settings.LOGIN_ADDRESS_WINDOW_SECONDS)


def login_failures_clear(username: str, address: str) -> None:
    cache.delete(_pair_key(username, address))
