"""The three entry points of imports (page, API, command) over the one service layer, and who
may use them."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from access.roles import Role
from portfolio.models import ImportJob, Invoice
from tests.factories import DebtorFactory, user_with_role
from tests.portfolio.imports_helpers import INVOICE_HEADER, check, csv_bytes

pytestmark = pytest.mark.django_db

GOOD = csv_bytes(INVOICE_HEADER, "I1,C1,2026-01-01,2026-01-31,100.00",
                 "I2,C1,2026-01-01,2026-02-28,20.00")


@pytest.fixture
def world(personas):
    DebtorFactory(client=personas.client_a, external_ref="C1")
    return personas


def _upload(file_bytes: bytes, name: str = "invoices.csv"):
    upload = io.BytesIO(file_bytes)
    upload.name = name
    return upload


# --- Command --------------------------------------------------------------------------------

def test_the_command_previews_then_commits(world, tmp_path):
    path = tmp_path / "invoices.csv"
    path.write_bytes(GOOD)
    out = io.StringIO()

    call_command("portfolio_import", str(path), client=world.client_a.pk, kind="invoices",
                 stdout=out)
    assert "2 to create" in out.getvalue()
    assert not Invoice.objects.exists()

    call_command("portfolio_import", str(path), "--commit", client=world.client_a.pk,
                 kind="invoices", stdout=out)
    assert "committed: 2 created" in out.getvalue()
    assert Invoice.objects.count() == 2


def test_the_command_fails_naming_the_rejected_rows(world, tmp_path):
    path = tmp_path / "invoices.csv"
    path.write_bytes(csv_bytes(INVOICE_HEADER, "I1,C1,31/01/2026,2026-01-31,1.00"))
    err = io.StringIO()

    with pytest.raises(CommandError, match="1 row"):
        call_command("portfolio_import", str(path), "--commit", client=world.client_a.pk,
                     kind="invoices", stderr=err)
    assert "line 2: issue_date '31/01/2026' is not in the format YYYY-MM-DD" in err.getvalue()
    assert not Invoice.objects.exists()


# --- API ------------------------------------------------------------------------------------

def _api(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


def test_a_credit_manager_uploads_previews_and_commits_through_the_api(world):
    api = _api(world.credit_manager)

    created = api.post("/api/v1/imports/", {"client": world.client_a.pk, "kind": "invoices",
                                            "file": _upload(GOOD)}, format="multipart")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["status"], body["to_create"], body["error_count"]) == ("validated", 2, 0)

    listed = api.get("/api/v1/imports/").json()
    assert [job["id"] for job in listed["results"]] == [body["id"]]

    committed = api.post(f"/api/v1/imports/{body['id']}/commit/")
    assert committed.status_code == 200
    assert committed.json()["status"] == "committed"
    assert Invoice.objects.count() == 2

    again = api.post(f"/api/v1/imports/{body['id']}/commit/")
    assert again.status_code == 400
    assert again.json()["error"]["code"] == "illegal_transition"


def test_the_api_reports_rejected_rows(world):
    response = _api(world.credit_manager).post(
        "/api/v1/imports/", {"client": world.client_a.pk, "kind": "invoices",
                             "file": _upload(csv_bytes(INVOICE_HEADER,
                                                       "I1,C1,2026-01-01,2026-01-31,-1"))},
        format="multipart")

    body = response.json()
    assert body["status"] == "rejected"
    assert body["errors"] == [{"line": 2, "column": "amount",
                               "message": "amount -1 cannot be negative; write zero or more."}]


def test_the_api_refuses_a_file_above_the_limit(world, settings):
    settings.IMPORT_MAX_FILE_BYTES = 10

    response = _api(world.credit_manager).post(
        "/api/v1/imports/", {"client": world.client_a.pk, "kind": "invoices",
                             "file": _upload(GOOD)}, format="multipart")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "file_too_large"
    assert not ImportJob.objects.exists()


@pytest.mark.parametrize("persona", ["agent", "viewer_a"])
def test_agents_and_client_viewers_may_not_import(world, persona):
    api = _api(getattr(world, persona))
    job = check(world.client_a, "invoices", GOOD)

    assert api.get("/api/v1/imports/").status_code == 403
    assert api.post("/api/v1/imports/", {"client": world.client_a.pk, "kind": "invoices",
                                         "file": _upload(GOOD)},
                    format="multipart").status_code == 403
    assert api.post(f"/api/v1/imports/{job.pk}/commit/").status_code == 403
    assert not Invoice.objects.exists()


def test_an_outsider_cannot_see_or_commit_another_clients_import(world):
    outsider = user_with_role(Role.CREDIT_MANAGER, clients=(world.client_b,),
                              username="manager_b")
    api = _api(outsider)
    job = check(world.client_a, "invoices", GOOD)

    assert api.get("/api/v1/imports/").json()["results"] == []
    assert api.get(f"/api/v1/imports/{job.pk}/").status_code == 404
    assert api.post(f"/api/v1/imports/{job.pk}/commit/").status_code == 404
    refused = api.post("/api/v1/imports/", {"client": world.client_a.pk, "kind": "invoices",
                                            "file": _upload(GOOD)}, format="multipart")
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "unknown_client"
    assert not Invoice.objects.exists()

    page = _page_client(outsider)
    assert page.get(reverse("portfolio:import_detail", args=[job.pk])).status_code == 404
    assert page.post(reverse("portfolio:import_commit", args=[job.pk])).status_code == 404


# --- Page -----------------------------------------------------------------------------------

def _page_client(user):
    from django.test import Client

    browser = Client()
    browser.force_login(user)
    return browser


def test_a_credit_manager_uploads_sees_the_preview_and_commits_on_the_page(world):
    browser = _page_client(world.credit_manager)

    home = browser.get(reverse("portfolio:import_list"))
    assert home.status_code == 200
    assert "invoice_number" in home.content.decode()  # the documented columns
    assert reverse("portfolio:import_list") in browser.get(reverse("home")).content.decode()

    response = browser.post(reverse("portfolio:import_list"), {
        "client": world.client_a.pk, "kind": "invoices", "file": _upload(GOOD)}, follow=True)
    page = response.content.decode()
    assert 'data-testid="to-create">2<' in page
    assert "Import these rows" in page
    job = ImportJob.objects.get()

    response = browser.post(reverse("portfolio:import_commit", args=[job.pk]), follow=True)
    assert "Imported" in response.content.decode()
    assert Invoice.objects.count() == 2


def test_the_page_lists_every_rejected_row_and_offers_no_commit(world):
    browser = _page_client(world.credit_manager)

    response = browser.post(reverse("portfolio:import_list"), {
        "client": world.client_a.pk, "kind": "invoices",
        "file": _upload(csv_bytes(INVOICE_HEADER, "I1,C9,2026-01-01,2026-01-31,1.00"))},
        follow=True)

    page = response.content.decode()
    assert "customer_code &#x27;C9&#x27; is not a debtor" in page
    assert "Import these rows" not in page


def test_the_status_partial_polls_while_a_worker_checks_the_file(world):
    job = ImportJob.objects.create(client=world.client_a, kind="invoices", original_name="x.csv",
                                   status=ImportJob.Status.VALIDATING, rows_total=100,
                                   rows_processed=40)
    browser = _page_client(world.credit_manager)

    response = browser.get(reverse("portfolio:import_detail", args=[job.pk]),
                           headers={"HX-Request": "true"})

    partial = response.content.decode()
    assert 'hx-trigger="every 1s"' in partial
    assert "40 of 100 rows checked" in partial
    assert "<html" not in partial


@pytest.mark.parametrize(("kind", "fmt"), [("debtors", "csv"), ("payments", "xlsx")])
def test_templates_download(world, kind, fmt):
    response = _page_client(world.credit_manager).get(
        reverse("portfolio:import_template", args=[kind, fmt]))

    assert response.status_code == 200
    assert f"fido-{kind}-template.{fmt}" in response["Content-Disposition"]


@pytest.mark.parametrize("persona", ["agent", "viewer_a", "team_leader"])
def test_the_page_is_for_credit_managers_and_administrators(world, persona):
    browser = _page_client(getattr(world, persona))

    assert browser.get(reverse("portfolio:import_list")).status_code == 403
    assert reverse("portfolio:import_list") not in browser.get(reverse("home")).content.decode()


def test_the_import_list_costs_the_same_queries_for_one_job_or_many(world,
                                                                     django_assert_num_queries):
    api = _api(world.credit_manager)
    check(world.client_a, "invoices", GOOD)
    api.get("/api/v1/imports/")  # warm the user's access caches like any first request

    with CaptureQueriesContext(connection) as one:
        api.get("/api/v1/imports/")
    for _n in range(3):
        check(world.client_a, "invoices", GOOD)
    with django_assert_num_queries(len(one.captured_queries)):
        response = api.get("/api/v1/imports/")
    assert len(response.json()["results"]) == 4
