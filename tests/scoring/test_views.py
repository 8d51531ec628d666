"""Pages: the registry, a model's detail (calibration, PSI warning, promote), the score panel."""

import pytest

from scoring.models import ScoringModel
from tests.factories import DebtorFactory
from tests.scoring.factories import DebtorScoreFactory, ScoringModelFactory


@pytest.fixture
def model_a(personas):
    return ScoringModelFactory(
        client=personas.client_a, metrics={"auc": 0.81, "gini": 0.62, "ks": 0.5, "brier": 0.1},
        calibration=[{"bin": 1, "predicted": 0.02, "observed": 0.03, "count": 10}],
        stability={"as_of": "2026-06-30", "debtors": 100, "score": 0.05,
                   "features": {"dbt_avg_3m": 0.31, "sector": 0.01}})


def test_the_model_page_warns_when_a_population_has_shifted(client, personas, model_a):
    client.force_login(personas.agent)
    page = client.get(f"/scoring/models/{model_a.pk}/").content.decode()
    assert 'data-testid="psi-warning"' in page
    assert "vendor/chartjs/chart.umd.min.js" in page and "calibration-data" in page
    assert 'data-testid="promote"' not in page  # agents do not promote

    ScoringModel.objects.filter(pk=model_a.pk).update(
        stability={"score": 0.05, "features": {"dbt_avg_3m": 0.2}})
    page = client.get(f"/scoring/models/{model_a.pk}/").content.decode()
    assert 'data-testid="psi-warning"' not in page


def test_the_registry_lists_only_the_users_clients(client, personas, model_a):
    ScoringModelFactory(client=personas.client_b)
    client.force_login(personas.viewer_b)
    assert client.get("/scoring/models/").context["models"].count() == 1
    assert client.get(f"/scoring/models/{model_a.pk}/").status_code == 404


def test_a_client_viewer_cannot_promote_from_the_page(client, personas, model_a):
    client.force_login(personas.viewer_a)
    assert client.post(f"/scoring/models/{model_a.pk}/promote/").status_code == 403
    model_a.refresh_from_db()
    assert model_a.status == ScoringModel.Status.CHALLENGER


def test_a_credit_manager_promotes_from_the_page(client, personas, model_a):
    client.force_login(personas.credit_manager)
    page = client.get(f"/scoring/models/{model_a.pk}/").content.decode()
    assert 'data-testid="promote"' in page
    response = client.post(f"/scoring/models/{model_a.pk}/promote/")
    assert response.status_code == 302
    model_a.refresh_from_db()
    assert model_a.status == ScoringModel.Status.CHAMPION


def test_the_run_button_queues_a_run_for_a_credit_manager_only(client, personas,
                                                              django_capture_on_commit_callbacks):
    client.force_login(personas.viewer_a)
    assert client.post("/scoring/run/", {"client": personas.client_a.pk}).status_code == 403
    client.force_login(personas.credit_manager)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post("/scoring/run/", {"client": personas.client_a.pk})
    assert response.status_code == 302 and len(callbacks) == 1
    assert client.post("/scoring/run/", {"client": personas.client_b.pk}).status_code == 404


def test_the_score_panel_shows_the_band_and_the_reasons(client, personas, model_a):
    ScoringModel.objects.filter(pk=model_a.pk).update(status=ScoringModel.Status.CHAMPION)
    debtor = DebtorFactory(client=personas.client_a)
    DebtorScoreFactory(debtor=debtor, model=model_a, band="D", points=512, reasons=[
        {"code": "late_share_12m", "impact": -41, "text": "stored text",
         "params": {"value": 0.5, "late": 3, "due": 6}}])
    client.force_login(personas.agent)
    page = client.get(f"/scoring/debtors/{debtor.pk}/").content.decode()
    assert "paid 3 of the last 6 invoices more than 30 days late" in page
    assert "512" in page and "band-D" in page
    client.force_login(personas.viewer_b)
    assert client.get(f"/scoring/debtors/{debtor.pk}/").status_code == 404


def test_the_admin_lists_models_and_scores_read_only(client, personas, model_a):
    DebtorScoreFactory(debtor=DebtorFactory(client=personas.client_a), model=model_a)
    personas.admin.is_staff = True
    personas.admin.save()
    client.force_login(personas.admin)
    assert client.get("/admin/scoring/scoringmodel/").status_code == 200
    assert client.get("/admin/scoring/debtorscore/").status_code == 200
    assert client.get("/admin/scoring/scoringmodel/add/").status_code == 403


def test_the_debtor_page_shows_the_champions_score_never_a_challengers(client, personas,
                                                                        model_a):
    debtor = DebtorFactory(client=personas.client_a)
    DebtorScoreFactory(debtor=debtor, model=model_a, band="E", points=401)  # challenger
    client.force_login(personas.agent)

    page = client.get(f"/portfolio/debtors/{debtor.pk}/").content.decode()
    assert "band-E" not in page and "401" not in page

    champion = ScoringModelFactory(client=personas.client_a, status="champion")
    DebtorScoreFactory(debtor=debtor, model=champion, band="A", points=702,
                       probability="0.00360")
    page = client.get(f"/portfolio/debtors/{debtor.pk}/").content.decode()
    assert "band-A" in page and "702" in page and "band-E" not in page


def test_a_small_probability_reads_as_such_in_either_language(client, personas):
    debtor = DebtorFactory(client=personas.client_a)
    DebtorScoreFactory(debtor=debtor, probability="0.00360")
    client.force_login(personas.agent)

    english = client.get(f"/scoring/debtors/{debtor.pk}/").content.decode()
    italian = client.get(f"/it/scoring/debtors/{debtor.pk}/").content.decode()

    assert '<span data-testid="score-probability">0.36%</span>' in english
    assert '<span data-testid="score-probability">0,36%</span>' in italian
    assert ">0%<" not in english


def test_the_model_page_says_what_its_stability_is_compared_with(client, personas, model_a):
    ScoringModel.objects.filter(pk=model_a.pk).update(
        reference={"as_of": "2026-06-30", "debtors": 1500, "score": {}, "features": {}})
    client.force_login(personas.credit_manager)

    page = client.get(f"/scoring/models/{model_a.pk}/").content.decode()

    assert "the 1,500 debtors of this segment as of the training date, 30 Jun 2026" in page
    assert "Below 0.10 stable" in page
    assert "shifting" in page  # 0.31 shifted, 0.05 score stable; the legend names all three
