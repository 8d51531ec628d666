"""Relational sampling: a random sample of eligible debtors once per period, skipping those
recently surveyed, opted out, held or restricted (SPEC §5)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.conf import settings

from compliance.models import ContactHold, ContactRestriction
from experience import sampling
from experience.models import Programme, Survey
from tests.factories import ContactPointFactory, DebtorFactory, InvoiceFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)


def _debtor(client, **kwargs):
    """An active debtor (an open invoice) with a phone number."""
    debtor = DebtorFactory(client=client, **kwargs)
    ContactPointFactory(debtor=debtor)
    InvoiceFactory(debtor=debtor, issue_date=dt.date(2026, 9, 1), due_date=dt.date(2026, 10, 1),
                   amount=Decimal("120.00"))
    return debtor


def _programme(client, **kwargs) -> Programme:
    values = {"active": True, "relational_sample_size": 100,
              "relational_every_days": 90}
    values.update(kwargs)
    programme, _ = Programme.objects.update_or_create(client=client, kind="relational",
                                                      defaults=values)
    return programme


def _survey(debtor, kind: str, due_at: dt.datetime, status: str = "sent") -> Survey:
    programme, _ = Programme.objects.get_or_create(client=debtor.client, kind=kind)
    trigger = "relational_sample" if kind == "relational" else "collection_contact"
    return Survey.objects.create(
        client=debtor.client, programme=programme, debtor=debtor, kind=kind, trigger=trigger,
        status=status, due_at=due_at, sent_at=due_at if status == "sent" else None,
        suppressed_reason="hold.complaint" if status == "suppressed" else "")


def test_a_draw_schedules_relational_surveys_for_eligible_debtors(personas):
    debtors = [_debtor(personas.client_a) for _ in range(3)]
    _debtor(personas.client_b)  # another client's debtor is never drawn
    programme = _programme(personas.client_a)

    created = sampling.relational_sample_draw(programme_id=programme.pk, now=NOW)

    surveys = Survey.objects.filter(programme=programme)
    assert created == 3
    assert {s.debtor_id for s in surveys} == {d.pk for d in debtors}
    assert {(s.kind, s.trigger, s.status, s.due_at) for s in surveys} == {
        ("relational", "relational_sample", "scheduled", NOW)}


def test_the_sample_takes_the_programmes_size_at_random(personas):
    for _ in range(12):
        _debtor(personas.client_a)
    programme = _programme(personas.client_a, relational_sample_size=5)

    assert sampling.relational_sample_draw(programme_id=programme.pk, now=NOW) == 5
    assert Survey.objects.filter(programme=programme).values("debtor").distinct().count() == 5


def test_a_second_run_in_the_same_period_draws_nothing(personas):
    for _ in range(4):
        _debtor(personas.client_a)
    programme = _programme(personas.client_a, relational_sample_size=2,
                           relational_every_days=30)

    first = sampling.relational_sample_draw(programme_id=programme.pk, now=NOW)
    again = sampling.relational_sample_draw(programme_id=programme.pk,
                                            now=NOW + dt.timedelta(days=29))
    next_period = sampling.relational_sample_draw(programme_id=programme.pk,
                                                  now=NOW + dt.timedelta(days=31))

    assert (first, again, next_period) == (2, 0, 2)
    # The next period skips the debtors asked 31 days ago (6 months' quiet).
    assert Survey.objects.filter(programme=programme).values("debtor").distinct().count() == 4


def test_inactive_or_transactional_programmes_draw_nothing(personas):
    _debtor(personas.client_a)
    off = _programme(personas.client_a, active=False)
    transactional = Programme.objects.create(client=personas.client_b, kind="transactional")

    assert sampling.relational_sample_draw(programme_id=off.pk, now=NOW) == 0
    assert sampling.relational_sample_draw(programme_id=transactional.pk, now=NOW) == 0
    assert not Survey.objects.exists()


def test_exclusions(personas):
    client = personas.client_a
    eligible = _debtor(client)
    # Surveyed relationally 5 months ago; transactionally 10 days ago.
    recent_relational = _debtor(client)
    _survey(recent_relational, "relational", NOW - dt.timedelta(days=150))
    recent_transactional = _debtor(client)
    _survey(recent_transactional, "transactional", NOW - dt.timedelta(days=10))
    # Opted out of surveys (and that opt-out not revoked).
    opted_out = _debtor(client)
    ContactRestriction.objects.create(client=client, debtor=opted_out, kind="channel_opt_out",
                                      channel="survey", created_at=NOW - dt.timedelta(days=1))
    # Processing restricted (GDPR Art. 18), deceased, vulnerable, erased.
    restricted = _debtor(client, processing_restricted=True, processing_restricted_at=NOW)
    deceased = _debtor(client, deceased=True, deceased_set_at=NOW)
    vulnerable = _debtor(client, vulnerable=True, vulnerable_set_at=NOW)
    no_calls = _debtor(client, do_not_call=True, do_not_call_set_at=NOW)
    # An open complaint hold.
    held = _debtor(client)
    ContactHold.objects.create(client=client, debtor=held, kind="complaint",
                               starts_at=NOW - dt.timedelta(days=2))
    # No contact point; no invoice for years.
    no_contact = DebtorFactory(client=client)
    InvoiceFactory(debtor=no_contact, issue_date=dt.date(2026, 9, 1),
                   due_date=dt.date(2026, 10, 1))
    inactive = DebtorFactory(client=client)
    ContactPointFactory(debtor=inactive)
    InvoiceFactory(debtor=inactive, issue_date=dt.date(2020, 1, 1), due_date=dt.date(2020, 2, 1),
                   open_balance=Decimal("0"), status="paid")
    programme = _programme(client)

    sampling.relational_sample_draw(programme_id=programme.pk, now=NOW)

    drawn = set(Survey.objects.filter(programme=programme, due_at=NOW)
                .values_list("debtor_id", flat=True))
    assert drawn == {eligible.pk}
    for excluded in (recent_relational, recent_transactional, opted_out, restricted, deceased,
                     vulnerable, no_calls, held, no_contact, inactive):
        assert excluded.pk not in drawn


def test_old_surveys_released_holds_and_revoked_opt_outs_do_not_exclude(personas):
    client = personas.client_a
    asked_long_ago = _debtor(client)
    _survey(asked_long_ago, "relational", NOW - dt.timedelta(days=200))
    transactional_weeks_ago = _debtor(client)
    _survey(transactional_weeks_ago, "transactional", NOW - dt.timedelta(days=20))
    suppressed_recently = _debtor(client)  # never actually asked
    _survey(suppressed_recently, "relational", NOW - dt.timedelta(days=3), status="suppressed")
    revoked = _debtor(client)
    ContactRestriction.objects.create(client=client, debtor=revoked, kind="channel_opt_out",
                                      channel="survey", created_at=NOW - dt.timedelta(days=9),
                                      revoked_at=NOW - dt.timedelta(days=1))
    sms_only_opt_out = _debtor(client)
    ContactRestriction.objects.create(client=client, debtor=sms_only_opt_out,
                                      kind="channel_opt_out", channel="sms",
                                      created_at=NOW - dt.timedelta(days=9))
    released = _debtor(client)
    ContactHold.objects.create(client=client, debtor=released, kind="complaint",
                               starts_at=NOW - dt.timedelta(days=9),
                               released_at=NOW - dt.timedelta(days=1))
    # A one-day period: the suppressed survey of 3 days ago belongs to an earlier draw.
    programme = _programme(client, relational_every_days=1)

    sampling.relational_sample_draw(programme_id=programme.pk, now=NOW)

    drawn = set(Survey.objects.filter(programme=programme, due_at=NOW)
                .values_list("debtor_id", flat=True))
    assert drawn == {asked_long_ago.pk, transactional_weeks_ago.pk, suppressed_recently.pk,
                     revoked.pk, sms_only_opt_out.pk, released.pk}


def test_the_beat_task_runs_every_active_relational_programme(personas, settings_eager):
    _debtor(personas.client_a)
    _debtor(personas.client_b)
    _programme(personas.client_a)
    _programme(personas.client_b)
    _programme(DebtorFactory().client, active=False)

    assert sampling.relational_samples_task() == 2
    assert sampling.relational_samples_task() == 2  # dispatched again, drawn once

    assert Survey.objects.count() == 2


@pytest.fixture
def settings_eager(settings):
    from config.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = True
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def test_the_task_is_in_the_beat_schedule():
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "experience.relational_samples_task" in tasks
