"""/health/ against the real services: PostgreSQL, the Redis broker and a running worker."""

import pytest

pytestmark = pytest.mark.integration


@pytest.mark.django_db(transaction=True)
def test_health_reports_database_broker_and_a_live_worker(admin_client, celery_worker_process):
    response = admin_client.get("/health/?strict=1")

    body = response.json()
    assert response.status_code == 200, body
    assert body["database"]["detail"] == "postgresql"
    assert body["broker"]["status"] == "ok"
    assert celery_worker_process in body["worker"]["detail"]


@pytest.mark.django_db
def test_health_fails_when_the_broker_is_unreachable(admin_client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1

    response = admin_client.get("/health/")

    assert response.status_code == 503
    assert response.json()["broker"]["status"] == "error"
