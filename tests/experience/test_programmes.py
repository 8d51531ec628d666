"""Programme pages: three kinds per client, changed by credit managers, read by team leaders,
refused to everyone else and to other clients; settings out of range are refused by name."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from access.errors import DomainError
from access.models import AuditEvent
from experience import programmes
from experience.models import Programme
from experience.programmes import ProgrammeData

pytestmark = pytest.mark.django_db


def _url(client) -> str:
    return reverse("experience:programme_detail", kwargs={"client_id": client.pk})


def _transactional_post(**overrides: str) -> dict[str, str]:
    data = {"kind": "transactional", "transactional-active": "on",
            "transactional-after_collection_contact": "on",
            "transactional-delay_minutes": "3", "transactional-sample_share": "0.5",
            "transactional-link_valid_days": "10", "transactional-ask_ces": "on"}
    data.update(overrides)
    return data


def test_a_credit_manager_saves_the_transactional_programme(client, personas):
    client.force_login(personas.credit_manager)

    response = client.post(_url(personas.client_a), _transactional_post())

    assert response.status_code == 302
    saved = Programme.objects.get(client=personas.client_a, kind="transactional")
    assert saved.delay_minutes == 180
    assert saved.sample_share == Decimal("0.500")
    assert saved.link_valid_days == 10
    assert saved.after_courtesy_call is False
    assert saved.ask_ces is True
    assert AuditEvent.objects.filter(action="experience.programme_save",
                                     client=personas.client_a).count() == 1


def test_the_three_kinds_are_stored_apart(client, personas):
    client.force_login(personas.credit_manager)
    client.post(_url(personas.client_a), _transactional_post())
    client.post(_url(personas.client_a), {
        "kind": "relational", "relational-active": "on",
        "relational-relational_sample_size": "50", "relational-relational_every_days": "30",
        "relational-link_valid_days": "7"})
    client.post(_url(personas.client_a), {"kind": "competitive", "competitive-active": "on"})

    rows = {p.kind: p for p in Programme.objects.filter(client=personas.client_a)}
    assert set(rows) == {"transactional", "relational", "competitive"}
    assert rows["relational"].relational_sample_size == 50
    assert rows["relational"].delay_minutes == 120  # untouched default, not the other kind's
    assert rows["transactional"].relational_sample_size == 200


@pytest.mark.parametrize(("field", "value", "words"), [
    ("transactional-delay_minutes", "0.5", "1"),
    ("transactional-delay_minutes", "25", "24"),
    ("transactional-sample_share", "0", "0.001"),
    ("transactional-sample_share", "1.5", "1"),
    ("transactional-link_valid_days", "61", "60"),
    ("transactional-link_valid_days", "0", "1"),
])
def test_out_of_range_settings_are_refused_and_nothing_is_written(client, personas, field,
                                                                  value, words):
    client.force_login(personas.credit_manager)

    response = client.post(_url(personas.client_a), _transactional_post(**{field: value}))

    assert response.status_code == 400
    body = response.content.decode()
    assert 'role="alert"' in body and words in body
    assert not Programme.objects.exists()


def test_the_service_refuses_each_range_by_name(personas):
    cases = [
        ("transactional", ProgrammeData(delay_minutes=59), "delay_minutes"),
        ("transactional", ProgrammeData(delay_minutes=1441), "delay_minutes"),
        ("transactional", ProgrammeData(sample_share=Decimal("0")), "sample_share"),
        ("transactional", ProgrammeData(sample_share=Decimal("1.001")), "sample_share"),
        ("transactional", ProgrammeData(link_valid_days=61), "link_valid_days"),
        ("relational", ProgrammeData(relational_sample_size=0), "relational_sample_size"),
        ("relational", ProgrammeData(relational_every_days=0), "relational_every_days"),
        ("competitive", ProgrammeData(delay_minutes=120), "delay_minutes"),
        ("everything", ProgrammeData(active=True), "kind"),
    ]
    for kind, data, field in cases:
        with pytest.raises(DomainError) as caught:
            programmes.programme_save(client=personas.client_a, kind=kind, data=data,
                                      by=personas.credit_manager)
        assert caught.value.field == field, (kind, data)
    assert not Programme.objects.exists()


def test_a_team_leader_reads_but_cannot_change(client, personas):
    Programme.objects.create(client=personas.client_a, kind="transactional", delay_minutes=300)
    client.force_login(personas.team_leader)

    page = client.get(_url(personas.client_a))
    refused = client.post(_url(personas.client_a), _transactional_post())
    upload = client.post(reverse("experience:study_import",
                                 kwargs={"client_id": personas.client_a.pk}), {"study": "x"})

    assert page.status_code == 200
    body = page.content.decode()
    assert 'data-testid="read-only"' in body and 'value="5.00"' in body and "disabled" in body
    assert refused.status_code == 403 and upload.status_code == 403
    assert Programme.objects.get().delay_minutes == 300


@pytest.mark.parametrize("role", ["agent", "committee", "viewer_a"])
def test_other_roles_are_refused(client, personas, role):
    client.force_login(getattr(personas, role))
    assert client.get(_url(personas.client_a)).status_code == 403
    assert client.get(reverse("experience:programme_list")).status_code == 403


def test_another_clients_programmes_answer_404(client, personas):
    client.force_login(personas.credit_manager)

    assert client.get(_url(personas.client_b)).status_code == 404
    assert client.post(_url(personas.client_b), _transactional_post()).status_code == 404
    assert not Programme.objects.exists()


def test_the_list_shows_only_the_users_clients(client, personas):
    client.force_login(personas.credit_manager)

    body = client.get(reverse("experience:programme_list")).content.decode()

    assert personas.client_a.name in body
    assert personas.client_b.name not in body


def test_an_administrator_changes_any_clients_programme(client, personas):
    client.force_login(personas.admin)

    response = client.post(_url(personas.client_b), {"kind": "competitive",
                                                     "competitive-active": "on"})

    assert response.status_code == 302
    assert Programme.objects.get(client=personas.client_b).kind == "competitive"


def test_the_page_speaks_italian(client, personas):
    client.force_login(personas.credit_manager)

    body = client.get("/it" + _url(personas.client_a)).content.decode()

    assert "Programmi di sondaggio" in body


def test_the_admin_lists_the_experience_models(admin_client, personas):
    programme = Programme.objects.create(client=personas.client_a, kind="competitive")
    for name in ("programme", "survey", "response", "followup"):
        assert admin_client.get(f"/admin/experience/{name}/").status_code == 200
    assert admin_client.get(
        f"/admin/experience/programme/{programme.pk}/change/").status_code == 200


def test_the_relational_card_says_when_the_last_sample_was_drawn(client, personas):
    import datetime as dt

    from experience import sampling
    from tests.factories import ContactPointFactory, DebtorFactory, InvoiceFactory

    for _ in range(3):
        debtor = DebtorFactory(client=personas.client_a)
        ContactPointFactory(debtor=debtor)
        InvoiceFactory(debtor=debtor, issue_date=dt.date(2026, 9, 1),
                       due_date=dt.date(2026, 10, 1))
    programme = Programme.objects.create(client=personas.client_a, kind="relational",
                                         relational_every_days=30)
    client.force_login(personas.team_leader)
    before = client.get(_url(personas.client_a)).content.decode()

    sampling.relational_sample_draw(programme_id=programme.pk,
                                    now=dt.datetime(2026, 11, 2, 9, tzinfo=dt.UTC))
    after = client.get(_url(personas.client_a)).content.decode()

    assert "No sample drawn yet" in before
    assert "Last sample drawn on 2026-11-02 (3 debtors); the next one from 2026-12-02" in after


def _queries(client, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(context)


def test_the_pages_cost_the_same_queries_for_few_and_many_rows(client, personas):
    import io

    from experience import competitive
    from tests.factories import ClientFactory

    client.force_login(personas.admin)
    study = b"respondent_ref,nps,answered_on\nR-1,9,2026-10-01\nR-2,3,2026-10-02\n"

    def add_study(name: str) -> None:
        competitive.study_import(client=personas.client_a, study=name,
                                 fileobj=io.BytesIO(study), by=None)

    add_study("One")
    Programme.objects.create(client=personas.client_a, kind="relational")
    few_list = _queries(client, reverse("experience:programme_list"))
    few_detail = _queries(client, _url(personas.client_a))
    for n in range(6):
        other = ClientFactory()
        Programme.objects.create(client=other, kind="transactional")
        add_study(f"Study {n}")
    many_list = _queries(client, reverse("experience:programme_list"))
    many_detail = _queries(client, _url(personas.client_a))

    assert few_list == many_list <= 12
    assert few_detail == many_detail <= 12
