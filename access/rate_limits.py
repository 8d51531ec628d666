"""The API's request-rate throttles: DRF's, kept in the "throttle" cache (Redis, or each
process's memory) rather than the default database cache, which would cost queries on every
request. Rates are REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]."""

from __future__ import annotations

from django.core.cache import caches
from rest_framework import throttling


class AnonRateThrottle(throttling.AnonRateThrottle):
    cache = caches["throttle"]


class UserRateThrottle(throttling.UserRateThrottle):
    cache = caches["throttle"]


class ScopedRateThrottle(throttling.ScopedRateThrottle):
    cache = caches["throttle"]
