"""A seeded, realistic demo portfolio: same seed, same data.

Two clients: a utility with many consumer debtors and an industrial distributor with business
debtors. Each debtor has a payment behaviour that shapes 24 months of invoices and payments.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from portfolio.allocation import allocate_open_payments
from portfolio.contact_data import timezone_from_address
from portfolio.models import Client, ContactPoint, Debtor, Invoice, Payment

BEHAVIOURS = {
    # name: (share of debtors, probability an invoice is paid, days late mean, spread)
    "on_time": (0.40, 1.00, -2, 3),
    "late_payer": (0.22, 0.98, 25, 12),
    "forgetful": (0.13, 0.95, 12, 20),
    "in_difficulty": (0.10, 0.70, 60, 30),
    "disputing": (0.07, 0.85, 35, 20),
    "defaulting": (0.08, 0.15, 120, 40),
}

_FIRST = ["Giulia", "Marco", "Luca", "Sara", "Francesca", "Andrea", "Chiara", "Matteo",
          "Elena", "Davide", "Anna", "Paolo", "Laura", "Simone", "Martina", "Stefano"]
_LAST = ["Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci",
         "Marino", "Greco", "Bruno", "Gallo", "Conti", "De Luca", "Mancini", "Costa"]
_COMPANY = ["Meccanica", "Logistica", "Edilizia", "Alimentari", "Tessile", "Impianti",
            "Forniture", "Elettronica", "Trasporti", "Plastiche"]
_CITIES = [("Milano", "MI", "20121"), ("Roma", "RM", "00184"), ("Torino", "TO", "10121"),
           ("Napoli", "NA", "80133"), ("Bologna", "BO", "40121"), ("Firenze", "FI", "50122"),
           ("Bari", "BA", "70121"), ("Verona", "VR", "37121")]


@dataclass(frozen=True)
class ClientSpec:
    name: str
    vat_number: str
    kind: str
    debtor_kind: str
    debtors: int
    invoices_per_month: float
    amount_range: tuple[int, int]
    terms_days: int


DEMO_CLIENTS = (
    ClientSpec("Acqua Lombarda S.p.A.", "00743110157", Client.Kind.IN_HOUSE,
               Debtor.Kind.CONSUMER, 300, 0.5, (40, 260), 30),
    ClientSpec("Ferramenta Industriale Nord S.r.l.", "01234567897", Client.Kind.AGENCY,
               Debtor.Kind.BUSINESS, 120, 1.2, (800, 25_000), 60),
)


def _behaviour(rng: random.Random) -> str:
    roll, cumulative = rng.random(), 0.0
    for name, (share, *_rest) in BEHAVIOURS.items():
        cumulative += share
        if roll < cumulative:
            return name
    return "on_time"


@transaction.atomic
def demo_portfolio_create(*, seed: int = 2026, today: dt.date | None = None,
                          scale: float = 1.0) -> list[Client]:
    """Create the demo clients with 24 months of history ending `today`."""
    rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not secrets
    today = today or dt.date.today()  # noqa: DTZ011 - a calendar date for demo history
    start = today - dt.timedelta(days=730)
    clients = []
    for spec in DEMO_CLIENTS:
        client = Client.objects.create(name=spec.name, vat_number=spec.vat_number, country="IT",
                                       currency="EUR", kind=spec.kind,
                                       reporting_timezone="Europe/Rome")
        clients.append(client)
        debtors, points, invoices, payments = [], [], [], []
        for index in range(int(spec.debtors * scale)):
            city, province, postal = rng.choice(_CITIES)
            if spec.debtor_kind == Debtor.Kind.CONSUMER:
                name = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
            else:
                name = f"{rng.choice(_COMPANY)} {rng.choice(_LAST)} S.r.l."
            debtors.append(Debtor(
                client=client, external_ref=f"{client.pk}-{index + 1:06d}", kind=spec.debtor_kind,
                name=name, country="IT", region=province, city=city, postal_code=postal,
                address_line=f"Via {rng.choice(_LAST)} {rng.randint(1, 120)}",
                timezone=timezone_from_address("IT", province), language="it",
                sector=rng.choice(_COMPANY).lower() if spec.debtor_kind == "business" else "",
                founded_year=rng.randint(1960, 2022) if spec.debtor_kind == "business" else None,
            ))
        Debtor.objects.bulk_create(debtors, batch_size=1000)
        for debtor in debtors:
            prefix = "+39 3" if debtor.kind == Debtor.Kind.CONSUMER else "+39 02 "
            digits = rng.randint(10_000_000, 99_999_999)
            number = f"+393{digits}" if prefix.startswith("+39 3") else f"+3902{digits}"
            points.append(ContactPoint(client=client, debtor=debtor, channel="phone",
                                       value=number, timezones=["Europe/Rome"]))
            behaviour = _behaviour(rng)
            _p_paid, late_mean, late_spread = BEHAVIOURS[behaviour][1:]
            day = start + dt.timedelta(days=rng.randint(0, 40))
            sequence = 0
            while day < today:
                sequence += 1
                amount = Decimal(rng.randint(*spec.amount_range) * 100 + rng.randint(0, 99)) / 100
                number_text = f"{client.pk}-{debtor.external_ref}-{sequence:04d}"
                due = day + dt.timedelta(days=spec.terms_days)
                invoices.append(Invoice(client=client, debtor=debtor, number=number_text,
                                        issue_date=day, due_date=due, amount=amount,
                                        currency="EUR", open_balance=amount))
                paid_on = due + dt.timedelta(days=int(rng.gauss(late_mean, late_spread)))
                if rng.random() < BEHAVIOURS[behaviour][1] and paid_on <= today:
                    payments.append(Payment(
                        client=client, debtor=debtor, external_ref=f"PAY-{number_text}",
                        amount=amount, currency="EUR", value_date=max(paid_on, day),
                        invoice_reference=number_text, unallocated_amount=amount))
                day += dt.timedelta(days=max(7, int(rng.expovariate(spec.invoices_per_month)
                                                    * 30)))
        ContactPoint.objects.bulk_create(points, batch_size=2000)
        Invoice.objects.bulk_create(invoices, batch_size=2000)
        Payment.objects.bulk_create(payments, batch_size=2000)
        allocate_open_payments(client_id=client.pk)
    return clients
