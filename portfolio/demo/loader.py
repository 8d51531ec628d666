"""Writing the generated demo portfolio to the database, in bounded chunks.

SQLite (and PostgreSQL when asked): `bulk_create` in batches. PostgreSQL: COPY through
psycopg 3 on the connection Django holds, with ids reserved from the tables' sequences so that
invoices, contact points and credit notes can point at rows not yet read back. Both paths
write the same values (tests compare them) inside the caller's transaction.

Payments are allocated by `portfolio.allocation.allocate_open_payments` once a client's rows
are in; the write-offs the generator decided are then applied to whatever balance the
allocation left, so every invoice's balance equals its amount less allocations less credit
notes.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import nullcontext
from decimal import Decimal
from typing import Any, NamedTuple

from django.db import connection, transaction
from django.db.models import Field, Model
from django.utils import timezone

from portfolio.allocation import allocate_open_payments
from portfolio.contact_data import timezone_from_address
from portfolio.demo.generator import (
    ClientSpec,
    DebtorRecord,
    InvoiceRecord,
    client_stream,
    invoice_budget_split,
    specs_select,
)
from portfolio.models import Client, ContactPoint, CreditNote, Debtor, Invoice, Payment
from portfolio.sql import INVOICE_PAYABLE, INVOICE_WRITTEN_OFF, sql_literals

# Debtors are written in chunks of about this many invoices: each chunk (its debtors, contact
# points, invoices, payments, credit notes as Python objects) takes about 40 MB, and larger
# chunks did not load faster on PostgreSQL or SQLite.
CHUNK_INVOICES = 20_000
BATCH_SIZE = 1_000  # rows per INSERT of bulk_create
# Above this many invoices each chunk commits on its own, and the allocation after them: one
# transaction would hold every deferred foreign-key check until the commit, a queue of some
# 25 trigger events per invoice in the database server's memory. An interrupted large run
# leaves a partial demo: start again on a fresh database.
ONE_TRANSACTION_MAX_INVOICES = 200_000

Progress = Callable[[str], None]


class LoadedInvoice(NamedTuple):
    """An invoice just written that has a place in a higher app's demo history."""
    invoice_id: int
    debtor_id: int
    debtor_kind: str
    record: InvoiceRecord


# Higher apps write the demo history they own (caring: its policies, past courtesy calls and
# control group) from the rows of each chunk, inside the chunk's transaction. They register in
# their AppConfig.ready, because portfolio imports no higher app (DESIGN.md, dependencies).
DemoHistoryWriter = Callable[[Client, ClientSpec, list[LoadedInvoice]], None]
HISTORY_WRITERS: list[DemoHistoryWriter] = []


def demo_history_writer_register(writer: DemoHistoryWriter) -> None:
    if writer not in HISTORY_WRITERS:
        HISTORY_WRITERS.append(writer)


def _with_history(debtor_id: int, record: DebtorRecord) -> list[LoadedInvoice]:
    return [LoadedInvoice(0, debtor_id, record.identity.kind, row)
            for row in record.invoices if row.courtesy]

_WRITE_OFF_TABLE = """
CREATE TEMPORARY TABLE IF NOT EXISTS fido_demo_write_off (
    invoice_id bigint NOT NULL, number varchar(64) NOT NULL, issue_date date NOT NULL,
    reason varchar(200) NOT NULL)
"""
# A write-off takes what the allocation left on the invoice (nothing to do when it was paid).
_WRITE_OFFS_APPLY = [
    f"""
    INSERT INTO portfolio_creditnote
        (client_id, invoice_id, number, kind, amount, issue_date, reason, created_at)
    SELECT i.client_id, i.id, w.number, {sql_literals(CreditNote.Kind.WRITE_OFF)},
           i.open_balance, w.issue_date, w.reason, CURRENT_TIMESTAMP
    FROM fido_demo_write_off w JOIN portfolio_invoice i ON i.id = w.invoice_id
    WHERE i.open_balance > 0 AND i.status IN ({INVOICE_PAYABLE})
    """,  # noqa: S608 - constants only
    f"""
    UPDATE portfolio_invoice
    SET open_balance = 0, status = {INVOICE_WRITTEN_OFF}, updated_at = CURRENT_TIMESTAMP
    WHERE id IN (SELECT invoice_id FROM fido_demo_write_off)
      AND open_balance > 0 AND status IN ({INVOICE_PAYABLE})
    """,  # noqa: S608 - constants only
]


def money(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


def _debtor_fields(record: DebtorRecord, client_id: int, now: dt.datetime) -> dict[str, Any]:
    who = record.identity
    fields: dict[str, Any] = {
        "client_id": client_id, "external_ref": record.code, "kind": who.kind,
        "name": who.name, "tax_code": who.tax_code, "vat_number": who.vat_number,
        "sector": who.sector, "founded_year": who.founded_year,
        "address_line": who.address_line, "postal_code": who.postal_code, "city": who.city,
        "region": who.region, "country": who.country,
        "timezone": timezone_from_address(who.country, who.region), "language": who.language,
        "credit_limit": None if record.credit_limit is None else money(record.credit_limit),
        "other_exposure": money(record.other_exposure),
        "created_at": now, "updated_at": now,
    }
    for flag in ("do_not_call", "vulnerable", "deceased"):
        fields[flag] = flag in record.flags
        fields[f"{flag}_set_at"] = record.flags.get(flag)
        fields[f"{flag}_set_by_id"] = None  # the demo logins do not exist yet: see demo_users
    return fields


def _contact_fields(record: DebtorRecord) -> Iterator[dict[str, Any]]:
    who = record.identity
    for label, phone in (("home" if who.kind == "consumer" else "office", who.phone),
                         ("mobile", who.mobile)):
        if phone is not None:
            yield {"channel": "phone", "value": phone[0], "label": label, "timezones": phone[1]}
    if who.email:
        yield {"channel": "email", "value": who.email, "label": "", "timezones": []}


def _rows(record: DebtorRecord, client: Client, debtor_id: int, invoice_ids: dict[str, int],
          now: dt.datetime) -> tuple[list[dict[str, Any]], ...]:
    """Contact points, invoices, payments and credit notes of one debtor as field dicts."""
    base = {"client_id": client.pk, "debtor_id": debtor_id}
    contacts = [{**base, **fields, "source": "client_file", "confirmed": True,
                 "created_at": now} for fields in _contact_fields(record)]
    invoices = [{**base, "number": row.number, "issue_date": row.issue_date,
                 "due_date": row.due_date, "amount": money(row.amount),
                 "currency": client.currency, "open_balance": money(row.open_balance),
                 "status": row.status, "created_at": now, "updated_at": now}
                for row in record.invoices]
    payments = [{**base, "external_ref": row.reference, "amount": money(row.amount),
                 "currency": client.currency, "value_date": row.value_date,
                 "method": row.method, "invoice_reference": row.invoice_reference,
                 "unallocated_amount": money(row.amount), "created_at": now}
                for row in record.payments]
    notes = [{"client_id": client.pk, "invoice_id": invoice_ids.get(row.invoice_number),
              "number": row.number, "kind": row.kind, "amount": money(row.amount),
              "issue_date": row.issue_date, "reason": row.reason, "created_by_id": None,
              "created_at": now}
             for row in record.credit_notes]
    return contacts, invoices, payments, notes


class _OrmLoader:
    """bulk_create in batches: SQLite returns the new ids (RETURNING), so do PostgreSQL's."""

    def __init__(self, client: Client) -> None:
        self.client = client

    def load(self, chunk: Sequence[DebtorRecord]) -> list[LoadedInvoice]:
        now = timezone.now()
        debtors = [Debtor(**_debtor_fields(record, self.client.pk, now)) for record in chunk]
        Debtor.objects.bulk_create(debtors, batch_size=BATCH_SIZE)
        invoices = [Invoice(client_id=self.client.pk, debtor_id=debtor.pk, number=row.number,
                            issue_date=row.issue_date, due_date=row.due_date,
                            amount=money(row.amount), currency=self.client.currency,
                            open_balance=money(row.open_balance), status=row.status)
                    for debtor, record in zip(debtors, chunk, strict=True)
                    for row in record.invoices]
        Invoice.objects.bulk_create(invoices, batch_size=BATCH_SIZE)
        invoice_ids = {invoice.number: invoice.pk for invoice in invoices}
        contacts, payments, notes = [], [], []
        for debtor, record in zip(debtors, chunk, strict=True):
            some_contacts, _invoices, some_payments, some_notes = _rows(
                record, self.client, debtor.pk, invoice_ids, now)
            contacts += [ContactPoint(**fields) for fields in some_contacts]
            payments += [Payment(**fields) for fields in some_payments]
            notes += [CreditNote(**fields) for fields in some_notes]
        ContactPoint.objects.bulk_create(contacts, batch_size=BATCH_SIZE)
        Payment.objects.bulk_create(payments, batch_size=BATCH_SIZE)
        CreditNote.objects.bulk_create(notes, batch_size=BATCH_SIZE)
        write_offs = [(invoice_ids[row.invoice_number], row.number, row.issue_date.isoformat(),
                       row.reason) for record in chunk for row in record.write_offs]
        if write_offs:
            with connection.cursor() as cursor:
                cursor.executemany(
                    "INSERT INTO fido_demo_write_off (invoice_id, number, issue_date, reason)"
                    " VALUES (%s, %s, %s, %s)", write_offs)
        return [row._replace(invoice_id=invoice_ids[row.record.number])
                for debtor, record in zip(debtors, chunk, strict=True)
                for row in _with_history(debtor.pk, record)]


def _columns(model: type[Model], names: Iterable[str]) -> list[str]:
    columns = []
    for name in names:
        field = model._meta.get_field(name)
        if not isinstance(field, Field) or not field.column:
            raise TypeError(f"{model.__name__}.{name} is not a concrete column")
        columns.append(field.column)
    return columns


class _CopyLoader:
    """PostgreSQL COPY through psycopg 3: about five times faster than bulk_create here."""

    def __init__(self, client: Client) -> None:
        self.client = client

    @staticmethod
    def _ids(cursor: Any, model: type[Model], count: int) -> list[int]:
        if not count:
            return []
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id'))"
                       " FROM generate_series(1, %s)", [model._meta.db_table, count])
        return [row[0] for row in cursor.fetchall()]

    @staticmethod
    def _copy(cursor: Any, model: type[Model], rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        names = list(rows[0])
        sql = (f"COPY {model._meta.db_table} ({', '.join(_columns(model, names))})"
               " FROM STDIN")
        json_fields = {name for name in names if name == "timezones"}
        with cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row([json.dumps(row[name]) if name in json_fields else row[name]
                                for name in names])

    def load(self, chunk: Sequence[DebtorRecord]) -> list[LoadedInvoice]:
        now = timezone.now()
        history: list[LoadedInvoice] = []
        with connection.cursor():
            raw = connection.connection  # the psycopg 3 connection, inside Django's transaction
            with raw.cursor() as cursor:
                debtor_ids = self._ids(cursor, Debtor, len(chunk))
                invoice_ids_list = self._ids(cursor, Invoice,
                                             sum(len(record.invoices) for record in chunk))
                id_of = iter(invoice_ids_list)
                debtors, contacts, invoices, payments, notes, write_offs = [], [], [], [], [], []
                for debtor_id, record in zip(debtor_ids, chunk, strict=True):
                    invoice_ids = {row.number: next(id_of) for row in record.invoices}
                    debtors.append({"id": debtor_id,
                                    **_debtor_fields(record, self.client.pk, now)})
                    some_contacts, some_invoices, some_payments, some_notes = _rows(
                        record, self.client, debtor_id, invoice_ids, now)
                    contacts += some_contacts
                    invoices += [{"id": invoice_ids[fields["number"]], **fields}
                                 for fields in some_invoices]
                    payments += some_payments
                    notes += some_notes
                    history += [row._replace(invoice_id=invoice_ids[row.record.number])
                                for row in _with_history(debtor_id, record)]
                    write_offs += [{"invoice_id": invoice_ids[row.invoice_number],
                                    "number": row.number, "issue_date": row.issue_date,
                                    "reason": row.reason} for row in record.write_offs]
                self._copy(cursor, Debtor, debtors)
                self._copy(cursor, ContactPoint, contacts)
                self._copy(cursor, Invoice, invoices)
                self._copy(cursor, Payment, payments)
                self._copy(cursor, CreditNote, notes)
                if write_offs:
                    with cursor.copy("COPY fido_demo_write_off (invoice_id, number, issue_date,"
                                     " reason) FROM STDIN") as copy:
                        for row in write_offs:
                            copy.write_row(list(row.values()))
        return history


def _chunks(records: Iterator[DebtorRecord], size: int) -> Iterator[list[DebtorRecord]]:
    while True:
        chunk, count = [], 0
        for record in records:
            chunk.append(record)
            count += len(record.invoices)
            if count >= size:
                break
        if not chunk:
            return
        yield chunk


def client_create(spec: ClientSpec) -> Client:
    return Client.objects.create(name=spec.name, vat_number=spec.vat_number,
                                 country=spec.country, currency=spec.currency, kind=spec.kind,
                                 reporting_timezone=spec.timezone,
                                 fee_percent=Decimal(spec.fee_percent))


def demo_portfolio_create(*, seed: int = 2026, today: dt.date | None = None,
                          invoices: int = 10_000, clients: Sequence[str] | None = None,
                          method: str = "auto", progress: Progress | None = None
                          ) -> list[Client]:
    """Create the demo clients with 24 months of history ending `today`: about `invoices`
    invoices in all, shared among `clients` (keys of DEMO_CLIENTS; all by default).

    method: "orm" (bulk_create), "copy" (PostgreSQL only) or "auto" (COPY on PostgreSQL).
    """
    if method not in {"auto", "orm", "copy"}:
        raise ValueError(f"method {method!r} must be auto, orm or copy")
    postgres = connection.vendor == "postgresql"
    if method == "copy" and not postgres:
        raise ValueError("the COPY loader needs PostgreSQL")
    use_copy = method == "copy" or (method == "auto" and postgres)
    today = today or timezone.localdate()
    specs = specs_select(clients)
    say = progress or (lambda _message: None)
    created: list[Client] = []
    started = time.monotonic()
    whole = transaction.atomic() if invoices <= ONE_TRANSACTION_MAX_INVOICES else nullcontext()
    with whole:
        with connection.cursor() as cursor:
            cursor.execute(_WRITE_OFF_TABLE)
        for spec, budget in zip(specs, invoice_budget_split(invoices, specs), strict=True):
            client = client_create(spec)
            created.append(client)
            with connection.cursor() as cursor:
                cursor.execute("DELETE FROM fido_demo_write_off")
            loader = _CopyLoader(client) if use_copy else _OrmLoader(client)
            written = debtors = 0
            for chunk in _chunks(client_stream(spec, seed=seed, today=today, invoices=budget),
                                 CHUNK_INVOICES):
                with transaction.atomic():
                    history = loader.load(chunk)
                    for writer in HISTORY_WRITERS:
                        writer(client, spec, history)
                debtors += len(chunk)
                written += sum(len(record.invoices) for record in chunk)
                say(f"{spec.name}: {written:,}/{budget:,} invoices, {debtors:,} debtors "
                    f"({time.monotonic() - started:.0f} s)")
            with connection.cursor() as cursor:
                # Fresh statistics for the allocation's plan. Without them SQLite joins the
                # payment and invoice intervals by nested scans: 45 s instead of 0.2 s for
                # 5,500 invoices (with them it builds an automatic index).
                for table in ("portfolio_invoice", "portfolio_payment"):
                    cursor.execute(f"ANALYZE {table}")
            say(f"{spec.name}: allocating payments …")
            allocate_open_payments(client_id=client.pk)
            with transaction.atomic(), connection.cursor() as cursor:
                for statement in _WRITE_OFFS_APPLY:
                    cursor.execute(statement)
                cursor.execute("DELETE FROM fido_demo_write_off")
            say(f"{spec.name}: done ({time.monotonic() - started:.0f} s)")
    return created

