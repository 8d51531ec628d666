"""The nightly run: a beat entry, and one run per client that has a model to run."""

import pytest
from django.conf import settings

from scoring.tasks import scoring_nightly_task
from tests.factories import ClientFactory
from tests.scoring.factories import ScoringModelFactory


def test_the_nightly_run_is_in_the_beat_schedule():
    entry = settings.CELERY_BEAT_SCHEDULE["scoring-nightly"]
    assert entry["task"] == scoring_nightly_task.name


@pytest.mark.django_db
def test_the_nightly_run_queues_one_run_per_client_with_a_live_model(
        django_capture_on_commit_callbacks):
    with_models = ClientFactory()
    ScoringModelFactory(client=with_models, status="champion")
    ScoringModelFactory(client=with_models)
    ScoringModelFactory(client=ClientFactory(), status="retired")
    with django_capture_on_commit_callbacks() as callbacks:
        scoring_nightly_task()
    assert len(callbacks) == 1
