"""The survey dispatcher on a real worker: the beat task sent twice at once (as after a
redelivery) sends the due survey once."""

from __future__ import annotations

import time

import pytest

from compliance.models import ContactAttempt
from experience.models import Survey
from experience.tasks import surveys_dispatch_task
from tests.caring.conftest import (
    rule_packs_restored_at_end,  # noqa: F401 - a fixture
    rule_packs_seeded,
)
from tests.experience.outbound import WORK_TIME, due_survey, mobile_debtor, programme
from tests.factories import ClientFactory

pytestmark = pytest.mark.integration


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("rule_packs_restored_at_end")
def test_a_worker_sends_a_due_survey_once_however_often_the_task_arrives(
        celery_worker_process) -> None:
    rule_packs_seeded()
    client = ClientFactory()
    survey = due_survey(mobile_debtor(client), programme(client))

    for _n in range(3):
        surveys_dispatch_task.delay(now=WORK_TIME.isoformat())

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        survey.refresh_from_db()
        if survey.status != Survey.Status.SCHEDULED:
            break
        time.sleep(0.2)
    time.sleep(1)  # let the other deliveries finish
    survey.refresh_from_db()
    assert survey.status == Survey.Status.SENT
    assert ContactAttempt.objects.filter(channel="survey").count() == 1
