"""Fixtures of the caring tests."""

from __future__ import annotations

import importlib

import pytest


def rule_packs_seeded() -> None:
    """Seed the contact engine's rule packs again (from their own data migration) when a
    transactional test's flush removed them."""
    from django.apps import apps

    from compliance.models import RulePack

    if not RulePack.objects.exists():
        importlib.import_module("compliance.migrations.0002_seed_rule_packs").seed(apps, None)


@pytest.fixture(scope="session")
def rule_packs_restored_at_end(django_db_setup, django_db_blocker):
    """Transactional tests end with a flush that also empties the seeded rule packs; put them
    back when the session ends so that a reused test database keeps them."""
    yield
    with django_db_blocker.unblock():
        rule_packs_seeded()
