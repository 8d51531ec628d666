"""Caring's part of the demo portfolio: each demo client's caring policies and the months of
caring history the generator decided (portfolio/demo/generator.py, "The caring history"):
control-group assignments and past courtesy calls with their outcomes, so that the comparison
of called and uncalled invoices has real numbers on first start. DEMO DATA throughout.

Registered with the demo loader in CaringConfig.ready; written per chunk of debtors, inside the
chunk's transaction, with a few multi-row INSERTs (bulk_create) per chunk.
"""

from __future__ import annotations

import datetime as dt
import zlib
from collections import defaultdict
from decimal import Decimal
from zoneinfo import ZoneInfo

from caring.models import CaringAssignment, CaringPolicy, CourtesyCall, CourtesyCallInvoice
from caring.windows import window_opens
from portfolio.demo.generator import CONTROL, ClientSpec, caring_policy_for
from portfolio.demo.loader import LoadedInvoice
from portfolio.models import Client

BATCH_SIZE = 1000
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


def demo_history_write(client: Client, spec: ClientSpec, rows: list[LoadedInvoice]) -> None:
    """Assignments of the chunk's cared-for invoices, and one finished courtesy call per
    debtor and window day for the called ones, linked to their invoices."""
    policies = demo_policies_ensure(client, spec)
    if not rows:
        return
    zone = ZoneInfo(client.reporting_timezone)
    assignments = []
    groups: dict[tuple[int, dt.date], list[LoadedInvoice]] = defaultdict(list)
    policy_of: dict[tuple[int, dt.date], CaringPolicy] = {}
    for row in rows:
        demo = caring_policy_for(spec, row.debtor_kind)
        if demo is None:
            continue
        policy = policies[demo.segment]
        window = window_opens(row.record.due_date, demo.days_before_due, client.country)
        in_control = row.record.courtesy == CONTROL
        threshold = int(policy.control_share * 10000)
        spread = _stable(row.record.number)
        bucket = (spread % max(threshold, 1) if in_control
                  else threshold + spread % (10000 - threshold))
        assignments.append(CaringAssignment(
            client_id=client.pk, policy_id=policy.pk, invoice_id=row.invoice_id,
            debtor_id=row.debtor_id, window_date=window, bucket=bucket, in_control=in_control))
        if not in_control:
            groups[(row.debtor_id, window)].append(row)
            policy_of[(row.debtor_id, window)] = policy
    CaringAssignment.objects.bulk_create(assignments, batch_size=BATCH_SIZE)

    calls = []
    for (debtor_id, window), invoices in groups.items():
        first = min(invoices, key=lambda row: (row.record.due_date, row.record.number))
        outcome = first.record.courtesy
        policy = policy_of[(debtor_id, window)]
        minutes = _stable(first.record.number) % (8 * 60)
        done_at = dt.datetime.combine(window, dt.time(9), tzinfo=zone) + dt.timedelta(
            minutes=minutes)
        unreachable = outcome == CourtesyCall.Outcome.UNREACHABLE
        calls.append(CourtesyCall(
            client_id=client.pk, policy_id=policy.pk, debtor_id=debtor_id, window_date=window,
            first_due_date=first.record.due_date,
            amount=sum((Decimal(row.record.amount).scaleb(-2) for row in invoices),
                       Decimal("0")),
            status=CourtesyCall.Status.FAILED if unreachable else CourtesyCall.Status.DONE,
            scheduled_at=done_at, attempts=policy.max_attempts if unreachable else 1,
            outcome=outcome,
            payment_date=(first.record.due_date
                          if outcome == CourtesyCall.Outcome.PAYMENT_DATE else None),
            completed_at=done_at))
    CourtesyCall.objects.bulk_create(calls, batch_size=BATCH_SIZE)
    links = [CourtesyCallInvoice(client_id=client.pk, call_id=call.pk, invoice_id=row.invoice_id,
                                 linked_on=call.window_date)
             for call, invoices in zip(calls, groups.values(), strict=True)
             for row in invoices]
    CourtesyCallInvoice.objects.bulk_create(links, batch_size=BATCH_SIZE)
