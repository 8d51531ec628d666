"""Typed readers for environment variables that refuse malformed values.

django-environ parses URLs well but quietly turns an unknown boolean into False; a typo in
production must stop the process instead, so booleans and integers are parsed strictly here.
"""

from __future__ import annotations

import os
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import environ
from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
_MISSING = object()


def _raw(name: str, default: object) -> str | object:
    value = os.environ.get(name)
    if value is None or value == "":
        if default is _MISSING:
            raise ImproperlyConfigured(f"The environment variable {name} must be set.")
        return default
    return value


def env_str(name: str, default: object = _MISSING) -> str:
    return str(_raw(name, default))


def env_bool(name: str, default: object = _MISSING) -> bool:
    value = _raw(name, default)
    if isinstance(value, bool):
        return value
    lowered = str(value).strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean (use true or false).")


def env_int(name: str, default: object = _MISSING, *, minimum: int | None = None) -> int:
    value = _raw(name, default)
    try:
        number = int(str(value))
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a whole number.") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name}={number} is below the minimum of {minimum}.")
    return number


def env_list(name: str, default: object = _MISSING) -> list[str]:
    value = _raw(name, default)
    if isinstance(value, list):
        return value
    return [item.strip() for item in str(value).split(",") if item.strip()]


def env_timezone(name: str, default: object = _MISSING) -> str:
    value = str(_raw(name, default))
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ImproperlyConfigured(f"{name}={value!r} is not an IANA time zone.") from None
    return value


_DATABASE_SCHEMES = {"postgres", "postgresql", "pgsql", "sqlite"}


def env_database(name: str, default: object = _MISSING) -> dict[str, object]:
    url = str(_raw(name, default))
    scheme = url.split(":", 1)[0]
    if scheme not in _DATABASE_SCHEMES:
        raise ImproperlyConfigured(
            f"{name} uses the scheme {scheme!r}; Fido supports postgres:// and sqlite://."
        )
    return environ.Env.db_url_config(url)


_BROKER_SCHEMES = {"redis", "rediss", "amqp", "amqps", "pyamqp", "filesystem"}


def env_broker(name: str, default: object = _MISSING) -> str:
    url = str(_raw(name, default))
    scheme = url.split(":", 1)[0]
    if scheme not in _BROKER_SCHEMES:
        raise ImproperlyConfigured(
            f"{name} uses the scheme {scheme!r}; use redis://, amqp:// or filesystem://."
        )
    return url


def env_email(name: str, default: object = _MISSING) -> dict[str, object]:
    url = str(_raw(name, default))
    try:
        return environ.Env.email_url_config(url)
    except (KeyError, ValueError) as error:
        raise ImproperlyConfigured(f"{name}={url!r} is not a valid e-mail URL: {error}") from None
