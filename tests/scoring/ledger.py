"""A synthetic ledger with a real signal: each debtor has a hidden habit of paying late.

Monthly invoices due 30 days after issue; a debtor's delay is drawn from its habit, so past
lateness predicts future lateness (what the models must learn). Written with bulk_create.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from portfolio.models import Client, Debtor, Invoice, Payment, PaymentAllocation

SECTORS = ("retail", "construction", "manufacturing", "services")


def ledger_generate(client: Client, *, debtors: int = 200, start: dt.date = dt.date(2024, 1, 1),
                    months: int = 30, today: dt.date = dt.date(2026, 6, 30),
                    seed: int = 7) -> list[Debtor]:
    rng = random.Random(seed)
    created = Debtor.objects.bulk_create([
        Debtor(client=client, external_ref=f"S{seed}-{n:05d}", kind=rng.choice(
            [Debtor.Kind.BUSINESS, Debtor.Kind.BUSINESS, Debtor.Kind.CONSUMER]),
            name=f"Debtor {n}", country="IT", sector=rng.choice(SECTORS),
            founded_year=rng.randint(1970, 2023),
            credit_limit=Decimal(rng.choice([2000, 5000, 10000])))
        for n in range(debtors)
    ])
    invoices, payments, pairs = [], [], []
    for debtor in created:
        habit = rng.random()  # 0 = always on time, 1 = chronically late
        for m in range(months):
            if rng.random() < 0.15:
                continue
            issue = start + dt.timedelta(days=30 * m + rng.randint(0, 5))
            due = issue + dt.timedelta(days=30)
            if issue >= today:
                break
            amount = Decimal(rng.randint(100, 2000))
            delay = int(rng.expovariate(1 / (2 + 70 * habit ** 2)))
            paid_on = due + dt.timedelta(days=delay)
            number = f"{client.pk}-{debtor.external_ref}-{m}"
            paid = paid_on < today
            invoices.append(Invoice(
                client=client, debtor=debtor, number=number, issue_date=issue, due_date=due,
                amount=amount, currency=client.currency,
                open_balance=Decimal(0) if paid else amount,
                status=Invoice.Status.PAID if paid else Invoice.Status.OPEN))
            if paid:
                payments.append(Payment(client=client, debtor=debtor, external_ref=f"P{number}",
                                        amount=amount, currency=client.currency,
                                        value_date=paid_on, unallocated_amount=Decimal(0)))
                pairs.append((len(invoices) - 1, len(payments) - 1))
    Invoice.objects.bulk_create(invoices, batch_size=2000)
    Payment.objects.bulk_create(payments, batch_size=2000)
    PaymentAllocation.objects.bulk_create([
        PaymentAllocation(client=client, payment=payments[p], invoice=invoices[i],
                          amount=invoices[i].amount) for i, p in pairs
    ], batch_size=2000)
    return created
