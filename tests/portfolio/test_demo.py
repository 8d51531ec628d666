import csv
import datetime as dt
import hashlib
from collections import defaultdict
from decimal import Decimal
from statistics import mean

import phonenumbers
import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Sum
from django.db.models.functions import Coalesce
from stdnum.gb import vat as gb_vat
from stdnum.it import codicefiscale, iva
from stdnum.us import ein

from access.models import ClientUser, Membership
from access.roles import Role
from portfolio.demo import BEHAVIOURS, demo_files_write, demo_portfolio_create
from portfolio.demo.generator import DEMO_CLIENTS, client_stream, specs_select
from portfolio.demo.identities import codice_fiscale
from portfolio.demo_users import DEMO_PASSWORD, demo_users_create
from portfolio.models import (
    Client,
    ContactPoint,
    CreditNote,
    Debtor,
    Invoice,
    Payment,
    PaymentAllocation,
)
from portfolio.selectors import ZERO

TODAY = dt.date(2026, 11, 23)


def _portfolio_wipe() -> None:
    from caring.models import (
        CaringAssignment,
        CaringPolicy,
        CourtesyCall,
        CourtesyCallInvoice,
        PlanRun,
    )

    # The demo's caring history first (caring keeps its calls' debtors and its policies'
    # clients from being deleted under it).
    for model in (CourtesyCallInvoice, CourtesyCall, CaringAssignment, PlanRun, CaringPolicy,
                  PaymentAllocation, CreditNote, Payment, Invoice, ContactPoint, Debtor):
        model.objects.all().delete()
    Client.objects.all().delete()


def _fingerprint() -> str:
    """A hash of every ledger row by natural keys (ids and timestamps left out)."""
    rows = [
        *Invoice.objects.order_by("client__name", "number").values_list(
            "client__name", "number", "amount", "due_date", "open_balance", "status"),
        *Debtor.objects.order_by("client__name", "external_ref").values_list(
            "client__name", "external_ref", "name", "kind", "tax_code", "vat_number", "city",
            "region", "timezone", "credit_limit", "other_exposure", "do_not_call",
            "vulnerable", "deceased", "deceased_set_at"),
        *ContactPoint.objects.order_by("debtor__external_ref", "channel", "value").values_list(
            "client__name", "debtor__external_ref", "channel", "value", "label", "timezones"),
        *Payment.objects.order_by("client__name", "external_ref").values_list(
            "client__name", "external_ref", "debtor__external_ref", "amount", "value_date",
            "method", "invoice_reference", "unallocated_amount"),
        *CreditNote.objects.order_by("client__name", "number").values_list(
            "client__name", "number", "invoice__number", "kind", "amount", "issue_date"),
        *PaymentAllocation.objects.order_by("payment__external_ref", "invoice__number")
        .values_list("payment__external_ref", "invoice__number", "amount"),
    ]
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def _invoice_hash() -> str:
    rows = Invoice.objects.order_by("client__name", "number").values_list(
        "number", "amount", "due_date", "open_balance")
    return hashlib.sha256(repr(list(rows)).encode()).hexdigest()


@pytest.mark.django_db
def test_the_same_seed_and_day_give_the_same_portfolio_and_another_seed_does_not():
    demo_portfolio_create(seed=7, today=TODAY, invoices=800)
    first, first_all = _invoice_hash(), _fingerprint()
    _portfolio_wipe()

    demo_portfolio_create(seed=7, today=TODAY, invoices=800)
    assert (_invoice_hash(), _fingerprint()) == (first, first_all)
    _portfolio_wipe()

    demo_portfolio_create(seed=8, today=TODAY, invoices=800)
    assert _invoice_hash() != first


def test_the_invoice_count_is_exact_and_a_debtor_does_not_depend_on_the_count():
    (spec,) = specs_select(["distributor"])
    small = list(client_stream(spec, seed=3, today=TODAY, invoices=500))
    large = list(client_stream(spec, seed=3, today=TODAY, invoices=5_000))

    assert sum(len(record.invoices) for record in small) == 500
    assert sum(len(record.invoices) for record in large) == 5_000
    # Only the last debtor of the smaller run is cut short.
    for short, full in zip(small[:-1], large, strict=False):
        assert (short.code, short.identity, short.invoices, short.payments) == (
            full.code, full.identity, full.invoices, full.payments)


def test_the_demo_clients_cover_three_jurisdictions_currencies_and_zones():
    assert {(spec.country, spec.currency) for spec in DEMO_CLIENTS} >= {
        ("IT", "EUR"), ("GB", "GBP"), ("US", "USD")}
    assert iva.is_valid(DEMO_CLIENTS[0].vat_number)
    assert iva.is_valid(DEMO_CLIENTS[1].vat_number)
    assert gb_vat.is_valid(DEMO_CLIENTS[2].vat_number)
    assert ein.is_valid(DEMO_CLIENTS[3].vat_number)


def test_a_codice_fiscale_is_built_like_the_revenue_agency_does():
    assert codice_fiscale(first="Mario", last="Rossi", born=(1980, 1, 1), female=False,
                          comune="H501") == "RSSMRA80A01H501U"


@pytest.fixture
def demo_portfolio(db):
    return demo_portfolio_create(seed=11, today=TODAY, invoices=3_000)


def _behaviour_of_debtors(invoices: int, seed: int) -> dict[tuple[str, str], str]:
    from portfolio.demo.generator import invoice_budget_split

    behaviours = {}
    for spec, budget in zip(DEMO_CLIENTS, invoice_budget_split(invoices, DEMO_CLIENTS),
                            strict=True):
        for record in client_stream(spec, seed=seed, today=TODAY, invoices=budget):
            behaviours[(spec.name, record.code)] = record.behaviour
    return behaviours


def test_every_invoice_balance_is_its_amount_less_allocations_and_credit_notes(demo_portfolio):
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT COUNT(*), SUM(CASE WHEN ROUND(i.amount - COALESCE(a.total, 0)
                                                - COALESCE(c.total, 0) - i.open_balance, 2) <> 0
                                      THEN 1 ELSE 0 END)
            FROM portfolio_invoice i
            LEFT JOIN (SELECT invoice_id, SUM(amount) AS total FROM portfolio_paymentallocation
                       GROUP BY invoice_id) a ON a.invoice_id = i.id
            LEFT JOIN (SELECT invoice_id, SUM(amount) AS total FROM portfolio_creditnote
                       GROUP BY invoice_id) c ON c.invoice_id = i.id
        """)
        total, wrong = cursor.fetchone()
    assert total == 3_000
    assert wrong == 0
    # No payment allocated more than it was worth (the database checks the rest).
    payments = Payment.objects.annotate(allocated=Coalesce(Sum("allocations__amount"), ZERO))
    assert not [payment.external_ref for payment in payments
                if payment.allocated + payment.unallocated_amount != payment.amount]


def test_the_ledger_has_every_case_a_collector_meets(demo_portfolio):
    statuses = set(Invoice.objects.values_list("status", flat=True))
    assert statuses == {"open", "partially_paid", "paid", "disputed", "written_off"}
    written_off = Invoice.objects.filter(status="written_off")
    assert all(invoice.open_balance == 0 for invoice in written_off)
    assert set(CreditNote.objects.filter(kind="write_off").values_list("invoice_id", flat=True)) \
        == set(written_off.values_list("id", flat=True))
    assert {"credit_note", "adjustment", "write_off"} <= set(
        CreditNote.objects.values_list("kind", flat=True))
    payments = Payment.objects.all()
    assert payments.filter(unallocated_amount__gt=0).exists()  # overpayments on account
    assert 0 < payments.filter(unallocated_amount__gt=0).count() < payments.count() * 0.03
    assert payments.filter(invoice_reference="").exists()
    assert payments.exclude(invoice_reference="").exists()
    assert len(set(payments.values_list("method", flat=True))) >= 4
    debtors = Debtor.objects.all()
    for flag in ("do_not_call", "vulnerable", "deceased"):
        flagged = debtors.filter(**{flag: True})
        assert flagged.exists(), flag
        assert not flagged.filter(**{f"{flag}_set_at": None}).exists()
    assert debtors.filter(other_exposure__gt=0).exists()
    assert debtors.filter(credit_limit__isnull=False).exists()
    assert set(Invoice.objects.values_list("currency", flat=True)) == {"EUR", "GBP", "USD"}
    first_invoice = Invoice.objects.order_by("issue_date").first()
    assert first_invoice is not None
    first_issue = first_invoice.issue_date
    assert (TODAY - first_issue).days <= 730
    assert not Invoice.objects.filter(issue_date__gt=TODAY).exists()
    assert not Payment.objects.filter(value_date__gt=TODAY).exists()


def test_behaviours_are_present_and_pay_as_they_are_named(demo_portfolio):
    behaviours = _behaviour_of_debtors(3_000, seed=11)
    assert set(behaviours.values()) == set(BEHAVIOURS)
    # Days from due date to settlement (or to today when still unsettled), per behaviour.
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT c.name, d.external_ref, i.due_date, i.open_balance, i.status,
                   MAX(p.value_date)
            FROM portfolio_invoice i
            JOIN portfolio_debtor d ON d.id = i.debtor_id
            JOIN portfolio_client c ON c.id = i.client_id
            LEFT JOIN portfolio_paymentallocation a ON a.invoice_id = i.id
            LEFT JOIN portfolio_payment p ON p.id = a.payment_id
            WHERE i.due_date < %s
            GROUP BY c.name, d.external_ref, i.id, i.due_date, i.open_balance, i.status
        """, [TODAY - dt.timedelta(days=30)])
        rows = cursor.fetchall()
    late: dict[str, list[int]] = defaultdict(list)
    for client_name, code, due, balance, status, paid_on in rows:
        due = dt.date.fromisoformat(str(due))
        settled = (dt.date.fromisoformat(str(paid_on))
                   if status == "paid" and Decimal(str(balance)) == 0 and paid_on else TODAY)
        late[behaviours[(client_name, code)]].append((settled - due).days)
    average = {name: mean(days) for name, days in late.items()}
    assert average["on_time"] < 0 < average["late_payer"]
    assert average["on_time"] < average["forgetful"] < average["late_payer"]
    assert average["late_payer"] < average["in_difficulty"] < average["defaulting"]
    assert average["late_payer"] < average["defaulting"]


def test_identities_are_valid_where_a_checksum_exists(demo_portfolio):
    phones = ContactPoint.objects.filter(channel="phone").select_related("debtor")
    assert phones.count() > 250
    for point in phones:
        number = phonenumbers.parse(point.value)
        assert phonenumbers.is_valid_number(number), point.value
        assert point.timezones
    for debtor in Debtor.objects.filter(country="IT"):
        if debtor.kind == "business":
            assert iva.is_valid(debtor.vat_number), debtor.vat_number
        else:
            assert codicefiscale.is_valid(debtor.tax_code), debtor.tax_code
    for debtor in Debtor.objects.filter(country="GB").exclude(vat_number=""):
        assert gb_vat.is_valid(debtor.vat_number), debtor.vat_number
    for debtor in Debtor.objects.filter(country="US", kind="business"):
        assert ein.is_valid(debtor.tax_code), debtor.tax_code
    us = Debtor.objects.filter(country="US")
    assert us.values("region").distinct().count() >= 5
    # Some people carry a mobile number from another state's time zone.
    assert any(point.debtor.timezone not in point.timezones
               for point in phones.filter(debtor__country="US"))
    assert not Debtor.objects.filter(timezone="").exists()


@pytest.mark.django_db
def test_every_role_has_a_demo_login_and_each_client_a_viewer():
    clients = demo_portfolio_create(seed=5, today=TODAY, invoices=400)
    logins = demo_users_create(clients=clients)

    assert {login.role for login in logins} == set(Role.values)
    for login in logins:
        user = authenticate(username=login.username, password=DEMO_PASSWORD)
        assert user is not None, login.username
        assert list(user.groups.values_list("name", flat=True)) == [login.role]
    viewers = ClientUser.objects.order_by("client_id")
    assert [viewer.client for viewer in viewers] == clients
    assert [viewer.user.username for viewer in viewers] == [
        f"client{n}" for n in range(1, len(clients) + 1)]
    agent_clients = set(Membership.objects.filter(user__username="agent")
                        .values_list("client_id", flat=True))
    assert agent_clients == {client.pk for client in clients}
    flagged = Debtor.objects.filter(vulnerable=True)
    assert not flagged.filter(vulnerable_set_by=None).exists()


@pytest.mark.django_db
def test_demo_seed_generates_once_and_then_only_refreshes_logins(capsys):
    call_command("demo_seed", "--invoices", "300", "--today", "2026-11-23", "--force")
    call_command("demo_seed", "--invoices", "300", "--force")

    assert Client.objects.count() == len(DEMO_CLIENTS)
    assert Invoice.objects.count() == 300
    output = capsys.readouterr().out
    assert "already present" in output
    assert "client4" in output


@pytest.mark.django_db
def test_small_chunks_committed_one_by_one_write_the_same_rows(monkeypatch):
    from portfolio.demo import loader

    demo_portfolio_create(seed=12, today=TODAY, invoices=900)
    in_one_go = _fingerprint()
    _portfolio_wipe()

    monkeypatch.setattr(loader, "CHUNK_INVOICES", 97)
    monkeypatch.setattr(loader, "ONE_TRANSACTION_MAX_INVOICES", 100)
    demo_portfolio_create(seed=12, today=TODAY, invoices=900)

    assert _fingerprint() == in_one_go


def test_the_copy_loader_writes_what_bulk_create_writes(postgres_only):
    demo_portfolio_create(seed=9, today=TODAY, invoices=1_200, method="orm")
    by_orm = _fingerprint()
    _portfolio_wipe()

    demo_portfolio_create(seed=9, today=TODAY, invoices=1_200, method="copy")

    assert _fingerprint() == by_orm
    assert Invoice.objects.count() == 1_200


def test_the_copy_loader_refuses_sqlite(db):
    if connection.vendor == "postgresql":
        pytest.skip("checks the refusal on SQLite")
    with pytest.raises(ValueError, match="PostgreSQL"):
        demo_portfolio_create(seed=1, today=TODAY, invoices=10, method="copy")
    assert not Client.objects.exists()


def test_demo_seed_refuses_the_copy_method_on_sqlite_and_writes_nothing(db):
    if connection.vendor == "postgresql":
        pytest.skip("checks the refusal on SQLite")
    with pytest.raises(CommandError, match="--method copy needs PostgreSQL"):
        call_command("demo_seed", "--invoices", "10", "--method", "copy", "--force")
    assert not Client.objects.exists()
    assert not get_user_model().objects.exists()  # no demo logins either


def test_the_files_parse_back_with_the_import_headers(tmp_path):
    files = demo_files_write(tmp_path, seed=4, invoices=700, today=TODAY, client="us")

    with files.debtors.open(newline="", encoding="utf-8") as handle:
        debtors = list(csv.DictReader(handle))
    with files.invoices.open(newline="", encoding="utf-8") as handle:
        invoices = list(csv.DictReader(handle))
    with files.payments.open(newline="", encoding="utf-8") as handle:
        payments = list(csv.DictReader(handle))

    assert list(debtors[0]) == [
        "customer_code", "name", "kind", "country", "region", "city", "postal_code", "address",
        "vat_number", "tax_code", "phone", "mobile", "email", "language", "sector",
        "founded_year", "other_exposure"]
    assert list(invoices[0]) == ["invoice_number", "customer_code", "issue_date", "due_date",
                                 "amount"]
    assert list(payments[0]) == ["reference", "customer_code", "value_date", "amount", "method",
                                 "invoice_number"]
    assert (len(debtors), len(invoices), len(payments)) == (
        files.debtor_count, 700, files.payment_count)
    codes = {row["customer_code"] for row in debtors}
    numbers = {row["invoice_number"] for row in invoices}
    assert {row["customer_code"] for row in invoices} <= codes
    assert {row["invoice_number"] for row in payments} - {""} <= numbers
    for row in invoices:
        assert dt.date.fromisoformat(row["issue_date"]) <= dt.date.fromisoformat(row["due_date"])
        assert Decimal(row["amount"]).as_tuple().exponent == -2
    for row in payments:
        assert Decimal(row["amount"]) > 0
        assert row["method"] in Payment.Method.values
    for row in debtors:
        for column in ("phone", "mobile"):
            if row[column]:
                number = phonenumbers.parse(row[column], row["country"])
                assert phonenumbers.is_valid_number(number), row[column]


@pytest.mark.django_db
def test_the_files_hold_the_same_ledger_as_the_database(tmp_path):
    files = demo_files_write(tmp_path, seed=6, invoices=250, today=TODAY, client="uk")
    demo_portfolio_create(seed=6, today=TODAY, invoices=250, clients=["uk"])

    with files.invoices.open(newline="", encoding="utf-8") as handle:
        from_file = {(row["invoice_number"], Decimal(row["amount"]))
                     for row in csv.DictReader(handle)}
    assert from_file == set(Invoice.objects.values_list("number", "amount"))


@pytest.mark.django_db
def test_the_demo_shows_a_refused_erasure_and_a_restricted_debtor():
    from access.models import AuditEvent

    call_command("demo_seed", "--invoices", "300", "--today", "2026-11-23", "--force")

    restricted = Debtor.objects.get(processing_restricted=True)
    assert "owes" in restricted.processing_restricted_reason
    assert set(AuditEvent.objects.filter(object_id=str(restricted.pk))
               .values_list("action", flat=True)) == {
        "debtor.export", "debtor.erasure_refused", "debtor.restrict"}
