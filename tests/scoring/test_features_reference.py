"""The SQL ledger features against a plain-Python reference, on a random ledger.

`scoring.features.raw_features` computes the "ledger" block set-based in SQL (two dialects,
and on PostgreSQL a shortcut through the ledger's `last_settlement_on`). Here the same columns
are recomputed invoice by invoice from ORM objects, with nothing shared with the code under
test (not even LATE_DAYS), and the two must agree for every debtor, column and as-of date.

The ledger is seeded-random plus hand-made edge cases: invoices paid on time, late, before
issue, in two payments (one of them after an as-of date), by one payment shared with another
invoice; partly paid, open, disputed, written off; settled only by a credit note; credit notes
of every kind before and after the as-of dates; a debtor without invoices, one whose invoices
come on or after the last as-of date, another client's debtor inside the id range, and per as-of
date a debtor whose invoices sit exactly on each window's boundary. The random amounts are
multiples of a quarter; amounts in cents, which binary floating point (SQLite's decimals)
does not hold exactly, have a test of their own.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import pytest
from django.db import connection

from portfolio.models import Client, CreditNote, Debtor, Invoice, Payment, PaymentAllocation
from scoring.features import raw_features
from tests.factories import ClientFactory, DebtorFactory

LATE_DAYS = 30  # the reference's own copy: settled more than this many days after due is late
COLUMNS = (
    "dbt_avg_3m", "dbt_avg_6m", "dbt_avg_12m", "due_count_12m", "late_count_12m",
    "overdue_amount", "overdue_days_max", "open_amount", "tenure_days", "invoices_12m",
    "credit_notes_12m", "disputed_open",
)
START = dt.date(2024, 1, 1)  # random invoices are issued from here ...
END = dt.date(2026, 6, 30)  # ... to here
AS_OFS = (dt.date(2024, 4, 15), dt.date(2024, 12, 1), dt.date(2025, 7, 1),
          dt.date(2026, 1, 20), dt.date(2026, 7, 1))
RANDOM_DEBTORS = 30
SEED = 20260301
KINDS = tuple(CreditNote.Kind)
FATES = ("paid", "two_payments", "partial", "credited", "credit_and_payment", "open",
         "disputed", "prepaid", "shared", "written_off")
FATE_WEIGHTS = (30, 8, 6, 5, 5, 10, 5, 2, 4, 3)


def day(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


# --- Building the ledger --------------------------------------------------------------------

class LedgerBuilder:
    """Unsaved ledger rows, saved at once with balances and statuses matching what is
    allocated and credited today (whatever the dates), as the ledger's constraints require."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.invoices: list[Invoice] = []
        self.payments: list[Payment] = []
        self.allocations: list[PaymentAllocation] = []
        self.notes: list[CreditNote] = []
        self._covered: dict[int, Decimal] = defaultdict(Decimal)  # by id() of the invoice
        self._written_off: set[int] = set()
        self._disputed: set[int] = set()

    def invoice(self, debtor: Debtor, issued: dt.date, due: dt.date, amount: Decimal | int,
                *, disputed: bool = False) -> Invoice:
        invoice = Invoice(client=self.client, debtor=debtor,
                          number=f"{self.client.pk}-I{len(self.invoices):05d}",
                          issue_date=issued, due_date=due, amount=Decimal(amount),
                          currency=self.client.currency)
        self.invoices.append(invoice)
        if disputed:
            self._disputed.add(id(invoice))
        return invoice

    def pay(self, on: dt.date, *parts: tuple[Invoice, Decimal],
            unallocated: Decimal = Decimal(0)) -> None:
        """One payment of `on`, allocated to the invoices of `parts` (and some left over)."""
        debtor = parts[0][0].debtor
        payment = Payment(client=self.client, debtor=debtor,
                          external_ref=f"{self.client.pk}-P{len(self.payments):05d}",
                          amount=sum((amount for _i, amount in parts), unallocated),
                          currency=self.client.currency, value_date=on,
                          unallocated_amount=unallocated)
        self.payments.append(payment)
        for invoice, amount in parts:
            self._cover(invoice, amount)
            self.allocations.append(PaymentAllocation(client=self.client, payment=payment,
                                                      invoice=invoice, amount=amount))

    def note(self, invoice: Invoice, on: dt.date, amount: Decimal,
             kind: str = CreditNote.Kind.CREDIT_NOTE) -> None:
        self._cover(invoice, amount)
        if kind == CreditNote.Kind.WRITE_OFF:
            self._written_off.add(id(invoice))
        self.notes.append(CreditNote(client=self.client, invoice=invoice, kind=kind,
                                     number=f"{self.client.pk}-N{len(self.notes):05d}",
                                     amount=amount, issue_date=on))

    def unpaid(self, invoice: Invoice) -> Decimal:
        return invoice.amount - self._covered[id(invoice)]

    def _cover(self, invoice: Invoice, amount: Decimal) -> None:
        assert 0 < amount <= self.unpaid(invoice), "the ledger never covers more than owed"
        self._covered[id(invoice)] += amount

    def save(self) -> None:
        for invoice in self.invoices:
            invoice.open_balance = self.unpaid(invoice)
            if id(invoice) in self._disputed:
                invoice.status = Invoice.Status.DISPUTED
            elif id(invoice) in self._written_off:
                invoice.status = Invoice.Status.WRITTEN_OFF
            elif invoice.open_balance == 0:
                invoice.status = Invoice.Status.PAID
            elif invoice.open_balance == invoice.amount:
                invoice.status = Invoice.Status.OPEN
            else:
                invoice.status = Invoice.Status.PARTIALLY_PAID
        Invoice.objects.bulk_create(self.invoices)
        Payment.objects.bulk_create(self.payments)
        PaymentAllocation.objects.bulk_create(self.allocations)
        CreditNote.objects.bulk_create(self.notes)


def quarters(rng: random.Random, low: int, high: int) -> Decimal:
    """An amount between low and high euros in quarters (exact as a binary float)."""
    return Decimal(rng.randint(4 * low, 4 * high)) / 4


def part_of(rng: random.Random, amount: Decimal) -> Decimal:
    """A part strictly between 0 and amount, in quarters."""
    return Decimal(rng.randint(1, int(amount * 4) - 1)) / 4


def random_debtor(b: LedgerBuilder, debtor: Debtor, rng: random.Random) -> None:
    """A debtor with a habit of paying late, and invoices meeting every fate."""
    habit = rng.random()

    def delay() -> dt.timedelta:  # from the due date to payment
        return day(int(rng.expovariate(1 / (2 + 90 * habit**2))) - rng.randint(0, 10))

    shared: list[Invoice] = []
    for _ in range(rng.randint(1, 12)):
        issued = START + day(rng.randint(0, (END - START).days))
        due = issued + day(rng.choice((0, 30, 30, 60, 90)))
        fate = rng.choices(FATES, FATE_WEIGHTS)[0]
        amount = quarters(rng, 1, 5000)
        invoice = b.invoice(debtor, issued, due, amount, disputed=fate == "disputed")
        if fate == "paid":
            b.pay(due + delay(), (invoice, amount))
        elif fate == "two_payments":
            paid_on, gap = due + delay(), rng.randint(1, 200)
            part = part_of(rng, amount)
            b.pay(paid_on, (invoice, part))
            b.pay(paid_on + day(gap), (invoice, amount - part))
        elif fate == "partial" or (fate == "disputed" and rng.random() < 0.6):
            b.pay(due + delay(), (invoice, part_of(rng, amount)))
        elif fate == "disputed" and rng.random() < 0.5:  # disputed, yet paid in full
            b.pay(due + delay(), (invoice, amount))
        elif fate == "credited":
            b.note(invoice, issued + day(rng.randint(0, 200)), amount, rng.choice(KINDS))
        elif fate == "credit_and_payment":
            part = part_of(rng, amount)
            b.note(invoice, issued + day(rng.randint(0, 120)), part, rng.choice(KINDS))
            b.pay(due + delay(), (invoice, amount - part))
        elif fate == "prepaid":
            b.pay(issued - day(rng.randint(1, 20)), (invoice, amount))
        elif fate == "shared":
            shared.append(invoice)
        elif fate == "written_off":
            rest = amount
            if rng.random() < 0.5:
                rest -= part_of(rng, amount)
                b.pay(due + delay(), (invoice, amount - rest))
            b.note(invoice, due + day(rng.randint(60, 300)), rest, CreditNote.Kind.WRITE_OFF)
    # Invoices paid together: one payment settles two of them, sometimes with money left over.
    for first, second in zip(shared[::2], shared[1::2], strict=False):
        on = max(first.due_date, second.due_date) + delay()
        leftover = quarters(rng, 1, 50) if rng.random() < 0.5 else Decimal(0)
        b.pay(on, (first, first.amount), (second, second.amount), unallocated=leftover)
    if len(shared) % 2:
        b.note(shared[-1], shared[-1].due_date + day(5), Decimal("0.25"),
               CreditNote.Kind.ADJUSTMENT)


def boundary_debtor(b: LedgerBuilder, debtor: Debtor, d: dt.date) -> None:
    """Invoices exactly on the edges of the windows of as-of date `d`."""
    # Due on the 12-month edge (in every 12-month window), paid 31 days late: late.
    b.pay(d - day(365 - 31), (b.invoice(debtor, d - day(400), d - day(365), 120), Decimal(120)))
    # Due on the 3-month edge, paid exactly LATE_DAYS late: not late.
    b.pay(d - day(91 - 30), (b.invoice(debtor, d - day(120), d - day(91), 90), Decimal(90)))
    # Due a day before the 3-month window, and a day before the 6-month one, both open.
    b.invoice(debtor, d - day(100), d - day(92), 10)
    b.invoice(debtor, d - day(190), d - day(183), 11)
    # Due on the 6-month edge, paid on the as-of date itself: still open as of d.
    b.pay(d, (b.invoice(debtor, d - day(200), d - day(182), 70), Decimal(70)))
    # Due on the "known" edge (d - 30): not yet counted in due_count_12m, but overdue.
    b.invoice(debtor, d - day(60), d - day(30), 40)
    # Due a day earlier: counted; due on issue, settled by an adjustment the day before d.
    b.note(b.invoice(debtor, d - day(31), d - day(31), 25), d - day(1), Decimal(25),
           CreditNote.Kind.ADJUSTMENT)
    # Due on d: not overdue, in no payment-habit window; disputed and open.
    b.invoice(debtor, d - day(1), d, 55, disputed=True)
    # Disputed but paid in full before d: not open.
    b.pay(d - day(5), (b.invoice(debtor, d - day(40), d - day(10), 35, disputed=True),
                       Decimal(35)))
    # Issued on d: not yet known at all.
    b.pay(d, (b.invoice(debtor, d, d + day(30), 999), Decimal(999)))
    # Issued on the 12-month edge: one credit note before d (counted), one on d (not).
    on_edge = b.invoice(debtor, d - day(365), d - day(300), 80)
    b.note(on_edge, d - day(1), Decimal(30))
    b.note(on_edge, d, Decimal(50))
    # Issued a day before the 12-month window: its credit note is not counted.
    b.note(b.invoice(debtor, d - day(366), d - day(336), 60), d - day(10), Decimal(60))
    # Nothing owed: settled on its issue date, with no payment or note.
    b.invoice(debtor, d - day(50), d - day(20), 0)


@dataclass
class Ledger:
    client: Client
    debtor_ids: list[int]  # the client's debtors, in id order
    labels: dict[int, str] = field(default_factory=dict)  # debtor id -> what it is


@pytest.fixture
def ledger(db: None) -> Ledger:
    rng = random.Random(SEED)
    client, other_client = ClientFactory(), ClientFactory()
    b, other = LedgerBuilder(client), LedgerBuilder(other_client)
    labels: dict[int, str] = {}
    for n in range(RANDOM_DEBTORS):
        debtor = DebtorFactory(client=client)
        labels[debtor.pk] = f"random #{n}"
        random_debtor(b, debtor, rng)
        if n == RANDOM_DEBTORS // 2:  # another client's debtor, inside the id range
            random_debtor(other, DebtorFactory(client=other_client), rng)
    for d in AS_OFS:
        debtor = DebtorFactory(client=client)
        labels[debtor.pk] = f"boundaries of {d}"
        boundary_debtor(b, debtor, d)
    silent = DebtorFactory(client=client)
    labels[silent.pk] = "no invoices"
    newcomer = DebtorFactory(client=client)
    labels[newcomer.pk] = "invoices only on or after the last as-of date"
    late_start = AS_OFS[-1] + day(1)
    b.pay(late_start + day(10), (b.invoice(newcomer, late_start, late_start + day(30), 500),
                                 Decimal(200)))
    b.invoice(newcomer, AS_OFS[-1], AS_OFS[-1] + day(30), 300)  # issued on the last as-of date
    b.save()
    other.save()
    return Ledger(client=client, debtor_ids=sorted(labels), labels=labels)


# --- The reference ------------------------------------------------------------------------

@dataclass(frozen=True)
class InvoiceAsOf:
    issue_date: dt.date
    due_date: dt.date
    status: str
    open_amount: Decimal
    late_days: int


def invoice_as_of(invoice: Invoice, as_of: dt.date) -> InvoiceAsOf:
    """An invoice as known on `as_of`: payments valued and notes issued before it."""
    paid = [a for a in invoice.allocations.all() if a.payment.value_date < as_of]
    notes = [n for n in invoice.credit_notes.all() if n.issue_date < as_of]
    open_amount = (invoice.amount - sum(a.amount for a in paid)
                   - sum(n.amount for n in notes))
    settled_on = None
    if open_amount <= 0:
        dates = [a.payment.value_date for a in paid] + [n.issue_date for n in notes]
        settled_on = max(dates, default=invoice.issue_date)
    late_days = max(((settled_on or as_of) - invoice.due_date).days, 0)
    return InvoiceAsOf(invoice.issue_date, invoice.due_date, invoice.status, open_amount,
                       late_days)


def mean(values: Sequence[int]) -> float:
    return sum(values) / len(values) if values else math.nan


def reference_features(invoices: Sequence[Invoice], as_of: dt.date) -> dict[str, float]:
    """The ledger columns of one debtor as of a date, computed invoice by invoice."""
    known = [i for i in invoices if i.issue_date < as_of]
    if not known:
        return dict.fromkeys(COLUMNS, math.nan)
    rows = [invoice_as_of(i, as_of) for i in known]
    d3, d6, d12, seen = (as_of - day(n) for n in (91, 182, 365, LATE_DAYS))
    due_12m = [r for r in rows if d12 <= r.due_date < seen]
    overdue = [r for r in rows if r.due_date < as_of and r.open_amount > 0]
    notes_12m = [n for i in known if i.issue_date >= d12 for n in i.credit_notes.all()
                 if n.issue_date < as_of
                 and n.kind in (CreditNote.Kind.CREDIT_NOTE, CreditNote.Kind.ADJUSTMENT)]
    return {
        "dbt_avg_3m": mean([r.late_days for r in rows if d3 <= r.due_date < as_of]),
        "dbt_avg_6m": mean([r.late_days for r in rows if d6 <= r.due_date < as_of]),
        "dbt_avg_12m": mean([r.late_days for r in rows if d12 <= r.due_date < as_of]),
        "due_count_12m": len(due_12m),
        "late_count_12m": sum(1 for r in due_12m if r.late_days > LATE_DAYS),
        "overdue_amount": float(sum(r.open_amount for r in overdue)),
        "overdue_days_max": max(((as_of - r.due_date).days for r in overdue),
                                default=math.nan),
        "open_amount": float(sum(r.open_amount for r in rows if r.open_amount > 0)),
        "tenure_days": (as_of - min(r.issue_date for r in rows)).days,
        "invoices_12m": sum(1 for r in rows if r.issue_date >= d12),
        "credit_notes_12m": len(notes_12m),
        "disputed_open": sum(1 for r in rows
                             if r.status == Invoice.Status.DISPUTED and r.open_amount > 0),
    }


def reference(ledger: Ledger, as_of: dt.date) -> dict[int, dict[str, float]]:
    """Every debtor's reference columns, from the ledger as stored."""
    by_debtor: dict[int, list[Invoice]] = {pk: [] for pk in ledger.debtor_ids}
    invoices = (Invoice.objects.filter(client=ledger.client)
                .prefetch_related("allocations__payment", "credit_notes"))
    for invoice in invoices:
        by_debtor[invoice.debtor_id].append(invoice)
    return {pk: reference_features(rows, as_of) for pk, rows in by_debtor.items()}


# --- Comparison ----------------------------------------------------------------------------

def same(got: float, want: float) -> bool:
    if math.isnan(want) or math.isnan(got):
        return math.isnan(want) and math.isnan(got)
    return got == pytest.approx(want, rel=1e-9, abs=1e-6)


def mismatches(ledger: Ledger, raw: dict[str, np.ndarray],
               expected: dict[int, dict[str, float]], as_of: dt.date) -> list[str]:
    found = []
    for i, pk in enumerate(int(pk) for pk in raw["debtor_id"]):
        for column in COLUMNS:
            got, want = float(raw[column][i]), float(expected[pk][column])
            if not same(got, want):
                found.append(f"as of {as_of}, debtor {pk} ({ledger.labels[pk]}), {column}: "
                             f"SQL {got!r}, reference {want!r}")
    return found


def check_range(ledger: Ledger, lo: int, hi: int, as_of: dt.date,
                expected: dict[int, dict[str, float]]) -> list[str]:
    """raw_features over [lo, hi]: exactly the client's debtors in it, each as the reference."""
    raw = raw_features(client_id=ledger.client.pk, lo=lo, hi=hi, as_of=as_of)
    ids = [int(pk) for pk in raw["debtor_id"]]
    wanted = [pk for pk in ledger.debtor_ids if lo <= pk <= hi]
    assert sorted(ids) == wanted, f"as of {as_of}, ids {lo}..{hi}: debtors {ids}"
    assert all(len(raw[column]) == len(ids) for column in COLUMNS)
    return mismatches(ledger, raw, expected, as_of)


def report(found: list[str]) -> str:
    return f"{len(found)} disagreements:\n" + "\n".join(found[:40])


# --- Tests ---------------------------------------------------------------------------------

def test_the_ledger_exercises_every_column(ledger: Ledger) -> None:
    """Guards the data, not the code: each column takes a non-trivial value somewhere."""
    values = [row for as_of in AS_OFS for row in reference(ledger, as_of).values()]
    for column in COLUMNS:
        assert any(not math.isnan(row[column]) and row[column] > 0 for row in values), column
    assert any(math.isnan(row["tenure_days"]) for row in values)
    assert any(math.isnan(row["dbt_avg_3m"]) and not math.isnan(row["tenure_days"])
               for row in values)
    if connection.vendor == "postgresql":  # the shortcut through the ledger's own date is taken
        settled = Invoice.objects.filter(client=ledger.client, last_settlement_on__isnull=False)
        assert settled.filter(last_settlement_on__lt=AS_OFS[2]).exists()


def test_sql_ledger_features_match_the_reference_over_the_full_range(ledger: Ledger) -> None:
    lo, hi = ledger.debtor_ids[0], ledger.debtor_ids[-1]
    found = []
    for as_of in AS_OFS:
        found += check_range(ledger, lo, hi, as_of, reference(ledger, as_of))
    assert not found, report(found)


def test_sql_ledger_features_match_the_reference_chunk_by_chunk(ledger: Ledger) -> None:
    ids = ledger.debtor_ids
    # Consecutive keyset ranges covering every debtor (one spans another client's debtor),
    # then a sub-range inside the first, then one past the last debtor (empty).
    bounds = [(0, ids[9]), (ids[9] + 1, ids[24]), (ids[24] + 1, 10**12),
              (ids[3], ids[7]), (ids[-1] + 1, ids[-1] + 100)]
    found = []
    for as_of in AS_OFS:
        expected = reference(ledger, as_of)
        for lo, hi in bounds:
            found += check_range(ledger, lo, hi, as_of, expected)
    assert not found, report(found)


def test_sql_ledger_features_settle_invoices_paid_to_the_cent(db: None) -> None:
    """Cents are not exact in binary floating point: 100.01 - (10.02 + 89.99) is 1.4e-14."""
    client = ClientFactory()
    b = LedgerBuilder(client)
    paid_twice, paid_and_credited = DebtorFactory(client=client), DebtorFactory(client=client)
    invoice = b.invoice(paid_twice, dt.date(2025, 1, 1), dt.date(2025, 1, 31), Decimal("100.01"),
                        disputed=True)
    b.pay(dt.date(2025, 1, 10), (invoice, Decimal("10.02")))
    b.pay(dt.date(2025, 1, 20), (invoice, Decimal("89.99")))
    invoice = b.invoice(paid_and_credited, dt.date(2025, 1, 1), dt.date(2025, 1, 31),
                        Decimal("100.00"))
    b.pay(dt.date(2025, 1, 10), (invoice, Decimal("10.04")))
    b.note(invoice, dt.date(2025, 1, 20), Decimal("89.96"))
    b.save()
    ledger = Ledger(client=client, debtor_ids=[paid_twice.pk, paid_and_credited.pk],
                    labels={paid_twice.pk: "paid in two payments",
                            paid_and_credited.pk: "paid and credited"})
    as_of = dt.date(2025, 3, 1)
    found = check_range(ledger, paid_twice.pk, paid_and_credited.pk, as_of,
                        reference(ledger, as_of))
    assert not found, report(found)
