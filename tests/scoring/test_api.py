"""The score and model APIs: tenant scoping, filters, query counts, who may promote."""

import datetime as dt

import pytest
from django.urls import reverse

from scoring.models import DebtorScore, ScoringModel
from tests.factories import DebtorFactory
from tests.scoring.factories import DebtorScoreFactory, ScoringModelFactory


@pytest.fixture
def scored(personas):
    debtor_a = DebtorFactory(client=personas.client_a)
    other_a = DebtorFactory(client=personas.client_a)
    debtor_b = DebtorFactory(client=personas.client_b)
    model_a = ScoringModelFactory(client=personas.client_a)
    model_b = ScoringModelFactory(client=personas.client_b)
    reasons = [{"code": "late_share_12m", "impact": -30,
                "text": "paid 4 of the last 6 invoices more than 30 days late"}]
    score_a = DebtorScoreFactory(debtor=debtor_a, model=model_a, reasons=reasons)
    DebtorScoreFactory(debtor=other_a, model=model_a)
    score_b = DebtorScoreFactory(debtor=debtor_b, model=model_b)
    return {"debtor_a": debtor_a, "model_a": model_a, "model_b": model_b,
            "score_a": score_a, "score_b": score_b}


def _ids(response):
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_an_outsider_of_client_b_sees_nothing_of_client_a(client, personas, scored):
    client.force_login(personas.viewer_b)
    assert _ids(client.get("/api/v1/scores/")) == {scored["score_b"].pk}
    assert _ids(client.get("/api/v1/scoring-models/")) == {scored["model_b"].pk}
    assert client.get(f"/api/v1/scores/{scored['score_a'].pk}/").status_code == 404
    assert client.get(f"/api/v1/scoring-models/{scored['model_a'].pk}/").status_code == 404
    # Filtering by another client's debtor answers exactly as for a debtor that does not
    # exist (access.api.TenantScopedFilterBackend): nothing confirms it is there.
    foreign = client.get(f"/api/v1/scores/?debtor={scored['debtor_a'].pk}")
    unknown = client.get("/api/v1/scores/?debtor=987654321")
    assert foreign.status_code == unknown.status_code == 400
    assert foreign.json() == unknown.json()


def test_it_filters_scores_by_debtor_with_their_reasons(client, personas, scored):
    client.force_login(personas.agent)
    response = client.get(f"/api/v1/scores/?debtor={scored['debtor_a'].pk}")
    assert _ids(response) == {scored["score_a"].pk}
    row = response.json()["results"][0]
    assert row["reasons"][0]["text"] == "paid 4 of the last 6 invoices more than 30 days late"
    assert row["model_version"] == scored["model_a"].version and row["band"] == "B"


def test_the_score_list_costs_a_fixed_number_of_queries(client, personas, scored,
                                                        django_assert_num_queries):
    client.force_login(personas.agent)
    client.get("/api/v1/scores/")  # warm the session and permission caches
    for _ in range(5):
        DebtorScoreFactory(debtor=DebtorFactory(client=personas.client_a),
                           model=scored["model_a"])
    with django_assert_num_queries(7):
        # session, user, groups (roles), memberships (clients), user and group permissions,
        # the page with its models joined: no query per row
        assert len(_ids(client.get("/api/v1/scores/"))) == 7


def test_a_client_viewer_cannot_promote(client, personas, scored):
    client.force_login(personas.viewer_a)
    url = f"/api/v1/scoring-models/{scored['model_a'].pk}/promote/"
    assert client.post(url).status_code == 403
    scored["model_a"].refresh_from_db()
    assert scored["model_a"].status == ScoringModel.Status.CHALLENGER


def test_a_credit_manager_promotes_through_the_api(client, personas, scored):
    client.force_login(personas.credit_manager)
    response = client.post(f"/api/v1/scoring-models/{scored['model_a'].pk}/promote/")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "champion"
    # Another client's model stays out of reach, even for promotion.
    other = client.post(f"/api/v1/scoring-models/{scored['model_b'].pk}/promote/")
    assert other.status_code == 404


def test_the_schema_documents_the_scoring_endpoints(client, personas):
    client.force_login(personas.admin)
    schema = client.get(reverse("api-schema")).content.decode()
    assert "/api/v1/scores/" in schema and "/api/v1/scoring-models/{id}/promote/" in schema


@pytest.mark.django_db(transaction=True)
def test_a_client_s_score_page_is_read_from_the_client_and_id_index(client, personas, scored,
                                                                     postgres_only):
    """A page of a client's scores comes from the (client, id) index, in order: not from all
    of the client's rows sorted, nor from the primary key walked past other clients' rows."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(30):
        DebtorScoreFactory(debtor=DebtorFactory(client=personas.client_b),
                           model=scored["model_b"])
    # Another client's history beside it, much longer (a debtor scored daily for two
    # years): walking the primary key past its rows must not look as cheap as the index,
    # whatever dead rows earlier tests left in the table's pages.
    history = DebtorScoreFactory.build(debtor=scored["debtor_a"], model=scored["model_a"])
    DebtorScore.objects.bulk_create(
        DebtorScore(client_id=history.client_id, debtor_id=history.debtor_id,
                    model_id=history.model_id, as_of=dt.date(2024, 1, 1) + dt.timedelta(days=day),
                    probability=history.probability, points=history.points, band=history.band)
        for day in range(730))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE scoring_debtorscore")
    client.force_login(personas.viewer_b)
    with CaptureQueriesContext(connection) as queries:
        assert len(_ids(client.get("/api/v1/scores/"))) == 31
    page = next(q["sql"] for q in queries.captured_queries
                if 'FROM "scoring_debtorscore"' in q["sql"])
    with connection.cursor() as cursor:
        # A test table is small enough to read whole, or to collect and sort: the plan for a
        # long history is wanted, where neither is affordable.
        for method in ("seqscan", "bitmapscan", "sort"):
            cursor.execute(f"SET enable_{method} = off")
        cursor.execute(f"EXPLAIN {page}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
        for method in ("seqscan", "bitmapscan", "sort"):
            cursor.execute(f"RESET enable_{method}")
    assert "scoring_score_client_by_id" in plan, plan
    assert "Sort" not in plan, plan
