"""Caring's part of the demo portfolio: each demo client's caring policies and the months of
caring history the generator decided (portfolio/demo/generator.py, "The caring history"):
control-group assignments and past courtesy calls with their outcomes, so that the comparison
of called and uncalled invoices has real numbers on first start. DEMO DATA throughout.

Registered with the demo loader in CaringConfig.ready; written per chunk of debtors, inside the
chunk's transaction: the chunk's cared-for invoices are staged with one executemany, then
assignments, calls and links are each one INSERT … SELECT.
"""

from __future__ import annotations

import datetime as dt
import zlib
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import connection
from django.utils import timezone

from caring.models import CaringPolicy, CourtesyCall
from caring.windows import window_opens
from portfolio.demo.generator import CONTROL, ClientSpec, caring_policy_for
from portfolio.demo.loader import LoadedInvoice
from portfolio.models import Client
from portfolio.sql import sql_literals

# The demo policies' control-group seed: fixed, so the same demo gives the same rows.
DEMO_POLICY_SEED = 2026


def demo_policies_ensure(client: Client, spec: ClientSpec) -> dict[str, CaringPolicy]:
    """The client's demo caring policies by segment, created on the first chunk."""
    policies = {policy.segment: policy
                for policy in CaringPolicy.objects.filter(client=client)}
    for demo in spec.caring:
        if demo.segment not in policies:
            policies[demo.segment] = CaringPolicy.objects.create(
                client=client, segment=demo.segment, days_before_due=demo.days_before_due,
                min_amount=Decimal(demo.min_amount),
                control_share=Decimal(str(demo.control_share)).quantize(Decimal("0.001")),
                seed=DEMO_POLICY_SEED)
    return policies


def _stable(text: str) -> int:
    return zlib.crc32(text.encode())


# The chunk's cared-for invoices, staged once (one executemany) and then turned into
# assignments, calls and links by three INSERT … SELECT statements. Values shared by a call's
# invoices (outcome, status, attempts, time) are repeated on each of its rows.
_STAGE_TABLE = """
CREATE TEMPORARY TABLE IF NOT EXISTS fido_demo_courtesy (
    invoice_id bigint NOT NULL, debtor_id bigint NOT NULL, policy_id bigint NOT NULL,
    window_date date NOT NULL, due_date date NOT NULL, amount numeric(14, 2) NOT NULL,
    in_control boolean NOT NULL, bucket integer NOT NULL, outcome varchar(16) NOT NULL,
    status varchar(16) NOT NULL, attempts integer NOT NULL,
    done_at timestamp with time zone)
"""
_STAGE_INSERT = (
    "INSERT INTO fido_demo_courtesy (invoice_id, debtor_id, policy_id, window_date, due_date,"
    " amount, in_control, bucket, outcome, status, attempts, done_at)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)")
_ASSIGNMENTS = """
INSERT INTO caring_caringassignment (client_id, policy_id, invoice_id, debtor_id, window_date,
                                     bucket, in_control, created_at)
SELECT %s, policy_id, invoice_id, debtor_id, window_date, bucket, in_control, %s
FROM fido_demo_courtesy
"""
_PAYMENT_DATE = sql_literals(CourtesyCall.Outcome.PAYMENT_DATE)
_CALLS = f"""
INSERT INTO caring_courtesycall (client_id, policy_id, debtor_id, window_date, first_due_date,
    amount, priority, status, scheduled_at, attempts, outcome, payment_date, note, cancel_reason,
    schedule_reason, destination, completed_at, created_at, updated_at)
SELECT %s, MAX(policy_id), debtor_id, window_date, MIN(due_date), SUM(amount), 0, MAX(status),
    MAX(done_at), MAX(attempts), MAX(outcome),
    CASE WHEN MAX(outcome) = {_PAYMENT_DATE} THEN MIN(due_date) END, '', '', '', '',
    MAX(done_at), %s, %s
FROM fido_demo_courtesy WHERE NOT in_control
GROUP BY debtor_id, window_date
"""  # noqa: S608 - constants only
_LINKS = """
INSERT INTO caring_courtesycallinvoice (client_id, call_id, invoice_id, linked_on)
SELECT %s, c.id, t.invoice_id, t.window_date
FROM fido_demo_courtesy t
JOIN caring_courtesycall c ON c.debtor_id = t.debtor_id AND c.window_date = t.window_date
WHERE NOT t.in_control
"""


def demo_history_write(client: Client, spec: ClientSpec, rows: list[LoadedInvoice]) -> None:
    """Assignments of the chunk's cared-for invoices, and one finished courtesy call per
    debtor and window day for the called ones, linked to their invoices."""
    policies = demo_policies_ensure(client, spec)
    if not rows:
        return
    ops = connection.ops
    zone = ZoneInfo(client.reporting_timezone)
    opens: dict[tuple[dt.date, int], dt.date] = {}
    placed = []
    for row in rows:
        demo = caring_policy_for(spec, row.debtor_kind)
        if demo is None:
            continue
        key = (row.record.due_date, demo.days_before_due)
        if key not in opens:
            opens[key] = window_opens(row.record.due_date, demo.days_before_due,
                                      client.country)
        placed.append((row, policies[demo.segment], opens[key]))
    # A call's outcome is its earliest invoice's (by due date, then number).
    first_of: dict[tuple[int, dt.date], LoadedInvoice] = {}
    for row, _policy, window in sorted(placed, key=lambda item: (
            item[0].record.due_date, item[0].record.number)):
        if row.record.courtesy != CONTROL:
            first_of.setdefault((row.debtor_id, window), row)
    staged = []
    for row, policy, window in placed:
        in_control = row.record.courtesy == CONTROL
        threshold = int(policy.control_share * 10000)
        spread = _stable(row.record.number)
        bucket = (spread % max(threshold, 1) if in_control
                  else threshold + spread % (10000 - threshold))
        outcome, status, attempts, done_at = "", "", 0, None
        if not in_control:
            first = first_of[(row.debtor_id, window)]
            outcome = first.record.courtesy
            unreachable = outcome == CourtesyCall.Outcome.UNREACHABLE
            status = CourtesyCall.Status.FAILED if unreachable else CourtesyCall.Status.DONE
            attempts = policy.max_attempts if unreachable else 1
            done_at = ops.adapt_datetimefield_value(
                dt.datetime.combine(window, dt.time(9), tzinfo=zone)
                + dt.timedelta(minutes=_stable(first.record.number) % (8 * 60)))
        staged.append((
            row.invoice_id, row.debtor_id, policy.pk, ops.adapt_datefield_value(window),
            ops.adapt_datefield_value(row.record.due_date),
            ops.adapt_decimalfield_value(Decimal(row.record.amount).scaleb(-2), 14, 2),
            in_control, bucket, outcome, str(status), attempts, done_at))
    now = ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(_STAGE_TABLE)
        cursor.execute("DELETE FROM fido_demo_courtesy")
        cursor.executemany(_STAGE_INSERT, staged)
        cursor.execute(_ASSIGNMENTS, [client.pk, now])
        cursor.execute(_CALLS, [client.pk, now, now])
        cursor.execute(_LINKS, [client.pk])
        cursor.execute("DELETE FROM fido_demo_courtesy")
