"""Fixtures of the collections desk's tests."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

# A Tuesday morning in Rome: inside every default call window.
WORK_TIME = dt.datetime(2026, 3, 10, 10, 0, tzinfo=zoneinfo.ZoneInfo("Europe/Rome"))


@pytest.fixture
def work_time() -> dt.datetime:
    return WORK_TIME


# Transactional tests (the PostgreSQL concurrency test) flush the seeded rule packs; caring's
# fixture puts them back at the end of the session.
from tests.caring.conftest import rule_packs_restored_at_end  # noqa: E402, F401
