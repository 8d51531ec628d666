"""The demo portfolio as a stream of debtors, each with 24 months of ledger ending `today`.

No database here: `portfolio_stream` yields one `DebtorRecord` at a time (its identity,
invoices, credit notes, payments and the write-offs its client will decide), so that the
database loader and the CSV writer hold one chunk in memory whatever the size.

Determinism: each debtor draws from its own `random.Random` seeded with (seed, client, index),
so the same seed and `today` give the same rows, and debtor n is the same whether 1,000 or
1,000,000 invoices are asked for (only the last debtor is cut short to hit the count).

Money is in integer cents here; the loaders turn it into Decimal or text.
"""

from __future__ import annotations

import calendar
import datetime as dt
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple
from zoneinfo import ZoneInfo

from portfolio.demo import identities
from portfolio.demo.identities import Identity

WINDOW_DAYS = 730  # 24 months of history ending today

# The payment behaviours a debtor can have; the generator gives each its own pattern.
ON_TIME = "on_time"              # pays by the due date (often by direct debit)
LATE_PAYER = "late_payer"        # pays everything, three to six weeks late
FORGETFUL = "forgetful"          # usually on time, now and then only after a reminder
IN_DIFFICULTY = "in_difficulty"  # from some point pays in instalments, leaves some unpaid
DISPUTING = "disputing"          # contests a share of its invoices, some settled by credit note
DEFAULTING = "defaulting"        # stops paying; old unpaid invoices are written off
BEHAVIOURS = (ON_TIME, LATE_PAYER, FORGETFUL, IN_DIFFICULTY, DISPUTING, DEFAULTING)


class InvoiceRecord(NamedTuple):
    number: str
    issue_date: dt.date
    due_date: dt.date
    amount: int          # cents
    open_balance: int    # cents: amount less credit notes, before any payment is allocated
    status: str          # open, partially_paid, paid (fully credited) or disputed
    # Its pre-due courtesy call in the demo's caring history: "" (not in a caring window),
    # CONTROL (kept uncalled) or the call's outcome (see COURTESY_OUTCOMES).
    courtesy: str = ""


class CreditNoteRecord(NamedTuple):
    number: str
    invoice_number: str
    kind: str            # credit_note or adjustment; write-offs are WriteOffRecord
    amount: int
    issue_date: dt.date
    reason: str


class PaymentRecord(NamedTuple):
    reference: str
    value_date: dt.date
    amount: int
    method: str
    invoice_reference: str  # "" when the payment names no invoice


class WriteOffRecord(NamedTuple):
    """The client's decision to write off what is left of an invoice on `issue_date`; its
    amount is known only after the payments are allocated, so the loader computes it."""
    number: str
    invoice_number: str
    issue_date: dt.date
    reason: str


@dataclass
class DebtorRecord:
    index: int
    code: str
    behaviour: str
    identity: Identity
    credit_limit: int | None = None         # cents
    other_exposure: int = 0                  # cents
    flags: dict[str, dt.datetime] = field(default_factory=dict)  # flag name -> set at
    invoices: list[InvoiceRecord] = field(default_factory=list)
    credit_notes: list[CreditNoteRecord] = field(default_factory=list)
    payments: list[PaymentRecord] = field(default_factory=list)
    write_offs: list[WriteOffRecord] = field(default_factory=list)


class DemoCaringPolicy(NamedTuple):
    """A demo client's caring policy, as data: the caring app creates the policy rows and the
    generator writes the history those policies would have made (see CARING_HISTORY_DAYS)."""
    segment: str             # all, consumer or business (CaringPolicy.Segment)
    days_before_due: int     # business days
    min_amount: int          # currency units
    control_share: float     # share of invoices kept uncalled


@dataclass(frozen=True)
class ClientSpec:
    key: str
    name: str
    vat_number: str
    country: str
    currency: str
    timezone: str
    kind: str                       # Client.Kind value
    share: float                    # of the invoices when every demo client is generated
    people: str                     # identity generator: it_lombardy, it, gb, us
    consumer_share: float
    behaviour_weights: tuple[float, ...]  # in BEHAVIOURS order
    billing_months: int             # regular bills every n months (0: invoices per order)
    orders_per_month: tuple[float, float]  # consumer, business (when billed per order)
    amount_median: tuple[float, float]     # consumer, business, in currency units
    amount_sigma: float
    terms_days: tuple[int, ...]
    end_of_month: bool              # due at the end of the month after the terms ("fine mese")
    invoice_prefix: str
    customer_prefix: str
    methods: tuple[tuple[str, ...], tuple[str, ...]]  # preferred methods: consumer, business
    seasonal: bool = False          # winter bills are higher (heating)
    credit_note_reasons: tuple[str, ...] = ("Billing correction", "Price adjustment")
    caring: tuple[DemoCaringPolicy, ...] = ()
    fee_percent: str = "0"          # collection fee on cash recovered (an agency's commission)


DEMO_CLIENTS: tuple[ClientSpec, ...] = (
    ClientSpec(
        key="utility", name="Acqua e Gas Lombardia S.p.A.", vat_number="00743110157",
        country="IT", currency="EUR", timezone="Europe/Rome", kind="in_house", share=0.55,
        people="it_lombardy", consumer_share=0.93,
        behaviour_weights=(0.46, 0.18, 0.15, 0.10, 0.04, 0.07),
        billing_months=2, orders_per_month=(0, 0), amount_median=(95.0, 520.0),
        amount_sigma=0.45, terms_days=(20,), end_of_month=False, invoice_prefix="BL",
        customer_prefix="UT", seasonal=True,
        methods=(("direct_debit", "direct_debit", "bank_transfer", "card", "other"),
                 ("direct_debit", "bank_transfer")),
        credit_note_reasons=("Meter reading correction", "Estimated consumption refunded",
                             "Tariff adjustment"),
        # Households called 5 business days before the bill is due; firms a week ahead, above
        # a floor that keeps the agents on the bills that matter.
        caring=(DemoCaringPolicy("consumer", 5, 0, 0.15),
                DemoCaringPolicy("business", 7, 300, 0.15)),
    ),
    ClientSpec(
        key="distributor", name="Ferramenta Industriale Nord S.r.l.", vat_number="02811460159",
        country="IT", currency="EUR", timezone="Europe/Rome", kind="agency", share=0.25,
        people="it", consumer_share=0.0,
        behaviour_weights=(0.34, 0.30, 0.08, 0.11, 0.10, 0.07),
        billing_months=0, orders_per_month=(0, 1.6), amount_median=(0, 2400.0),
        amount_sigma=0.9, terms_days=(30, 60, 60, 90), end_of_month=True, invoice_prefix="FT",
        customer_prefix="C", methods=((), ("bank_transfer", "bank_transfer", "other")),
        credit_note_reasons=("Goods returned", "Price adjustment", "Damaged delivery"),
        # Industrial customers: a week ahead, invoices of 1,000 EUR and more.
        caring=(DemoCaringPolicy("all", 7, 1000, 0.15),),
        # The agency's commission on what it recovers for this creditor.
        fee_percent="8.50",
    ),
    ClientSpec(
        key="uk", name="Albion Trade Supplies Ltd", vat_number="GB750465044", country="GB",
        currency="GBP", timezone="Europe/London", kind="in_house", share=0.10, people="gb",
        consumer_share=0.3, behaviour_weights=(0.40, 0.27, 0.12, 0.09, 0.06, 0.06),
        billing_months=0, orders_per_month=(0.5, 1.8), amount_median=(180.0, 1100.0),
        amount_sigma=0.8, terms_days=(30,), end_of_month=True, invoice_prefix="ATS",
        customer_prefix="ACC", methods=(("card", "bank_transfer", "direct_debit"),
                                        ("bank_transfer", "direct_debit")),
        credit_note_reasons=("Goods returned", "Pricing error", "Short delivery"),
        caring=(DemoCaringPolicy("consumer", 5, 50, 0.15),
                DemoCaringPolicy("business", 7, 500, 0.15)),
    ),
    ClientSpec(
        key="us", name="Lakeside Medical Supply, Inc.", vat_number="20-6087771", country="US",
        currency="USD", timezone="America/Chicago", kind="in_house", share=0.10, people="us",
        consumer_share=0.45, behaviour_weights=(0.38, 0.28, 0.12, 0.10, 0.06, 0.06),
        billing_months=0, orders_per_month=(0.4, 1.5), amount_median=(140.0, 1800.0),
        amount_sigma=0.7, terms_days=(30,), end_of_month=False, invoice_prefix="LMS",
        customer_prefix="A", methods=(("card", "cheque", "bank_transfer"),
                                      ("bank_transfer", "cheque", "card")),
        credit_note_reasons=("Insurance adjustment", "Returned equipment", "Pricing error"),
        caring=(DemoCaringPolicy("consumer", 5, 75, 0.15),
                DemoCaringPolicy("business", 7, 500, 0.15)),
    ),
)
CLIENT_KEYS = tuple(spec.key for spec in DEMO_CLIENTS)

# --- The caring history -----------------------------------------------------------------------
# Invoices that fell due in the last CARING_HISTORY_DAYS were cared for under the client's demo
# policies: a random share kept uncalled (the control group), the rest called before the due
# date. DEMO DATA: the effect of a call is an assumption of this generator, not a measurement.
# A call that reached the debtor turns some late payments into on-time ones (a forgetful
# payer reminded, an invoice resent or corrected in time), which shows on the caring comparison
# page as a higher on-time rate for called invoices than for the control group.
CARING_HISTORY_DAYS = 180
CONTROL = "control"
# Outcome of each call (CourtesyCall.Outcome values) and how often the demo draws it.
COURTESY_OUTCOMES = ("received_ok", "payment_date", "not_received", "data_wrong",
                     "unreachable", "wrong_number")
_COURTESY_WEIGHTS = (0.52, 0.18, 0.07, 0.04, 0.15, 0.04)
COURTESY_CONNECTED = frozenset(COURTESY_OUTCOMES[:4])
# Chance that a reached debtor who would have paid late pays by the due date, per behaviour.
_COURTESY_EFFECT = {"forgetful": 0.75, "late_payer": 0.3, "disputing": 0.4,
                    "in_difficulty": 0.15}


class Courtesy(NamedTuple):
    code: str       # CONTROL or an outcome
    effect: float   # uniform draw: the call changes the payment when below the behaviour's share
    early: int      # days before the due date a changed payment is made


def caring_policy_for(spec: ClientSpec, kind: str) -> DemoCaringPolicy | None:
    """The demo policy covering a debtor of this kind: its segment's, else the general one."""
    specific = [policy for policy in spec.caring if policy.segment == kind]
    general = [policy for policy in spec.caring if policy.segment == "all"]
    return (specific or general)[0] if specific or general else None


def _courtesy_draw(spec: ClientSpec, *, seed: int, number: str, due: dt.date, amount: int,
                   kind: str, flags: dict[str, dt.datetime], today: dt.date) -> Courtesy | None:
    """The invoice's place in the caring history, from its own generator (so the debtor's
    main sequence of draws, and so every other row, is the same with or without it)."""
    if not today - dt.timedelta(days=CARING_HISTORY_DAYS) <= due < today:
        return None
    policy = caring_policy_for(spec, kind)
    if policy is None or amount < policy.min_amount * 100:
        return None
    if "do_not_call" in flags or "deceased" in flags:
        return None
    care = random.Random(f"fido-demo-caring/{seed}/{spec.key}/{number}")  # noqa: S311
    if care.random() < policy.control_share:
        return Courtesy(CONTROL, 1.0, 0)
    code = care.choices(COURTESY_OUTCOMES, weights=_COURTESY_WEIGHTS)[0]
    return Courtesy(code, care.random(), care.randint(0, 4))


def _courtesy_day(courtesy: Courtesy | None, behaviour: str, due: dt.date,
                  day: dt.date) -> dt.date:
    """The payment day after the courtesy call: on time if the call changed it, else `day`."""
    if courtesy is None or courtesy.code not in COURTESY_CONNECTED or day <= due:
        return day
    if courtesy.effect < _COURTESY_EFFECT.get(behaviour, 0.0):
        return due - dt.timedelta(days=courtesy.early)
    return day

_METHOD_CODE = {"bank_transfer": "TRF", "direct_debit": "DD", "card": "CRD", "cash": "CSH",
                "cheque": "CHQ", "other": "OTH"}


def _add_months(day: dt.date, months: int) -> dt.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _end_of_month(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _days(count: float) -> dt.timedelta:
    return dt.timedelta(days=int(count))


class _Ledger:
    """One debtor's ledger as it is being written."""

    def __init__(self, record: DebtorRecord, rng: random.Random, spec: ClientSpec,
                 today: dt.date, methods: Sequence[str]) -> None:
        self.record, self.rng, self.spec, self.today = record, rng, spec, today
        self.methods = methods
        self.preferred = rng.choice(methods)
        self.payment_seq = 0
        self.on_account = 0  # cents overpaid earlier, which the next bill deducts

    def pay_in_full(self, day: dt.date, cents: int, *, invoice: str, named: float) -> None:
        """Pay an invoice less any credit left on account (the allocation uses that credit)."""
        if day > self.today:
            return
        used = min(self.on_account, cents)
        self.on_account -= used
        self.pay(day, cents - used, invoice=invoice, named=named)

    def pay(self, day: dt.date, cents: int, *, invoice: str, named: float,
            method: str | None = None) -> None:
        """Record a payment made on `day` (never after today)."""
        if cents <= 0 or day > self.today:
            return
        rng = self.rng
        method = method or (self.preferred if rng.random() < 0.85 else rng.choice(self.methods))
        # A direct debit always carries the bill it collects; other payments name it sometimes.
        reference = invoice if method == "direct_debit" or rng.random() < named else ""
        self.payment_seq += 1
        self.record.payments.append(PaymentRecord(
            f"{_METHOD_CODE[method]}{day:%y%m%d}-{self.record.code}-{self.payment_seq:03d}",
            day, cents, method, reference))


def _amount(rng: random.Random, median: float, sigma: float, factor: float) -> int:
    return max(500, round(median * factor * rng.lognormvariate(0, sigma) * 100))


def _round_down(cents: int, unit: int) -> int:
    return max(unit, cents // unit * unit)


def _identity(spec: ClientSpec, rng: random.Random, kind: str, year: int) -> Identity:
    if spec.people == "it_lombardy":
        return identities.italian_identity(rng, kind=kind, places=identities.IT_LOMBARDY,
                                           today_year=year)
    if spec.people == "it":
        return identities.italian_identity(rng, kind=kind, places=identities.IT_ALL,
                                           today_year=year)
    if spec.people == "gb":
        return identities.british_identity(rng, kind=kind, today_year=year)
    return identities.american_identity(rng, kind=kind, today_year=year)


def _moment(rng: random.Random, day: dt.date, zone: str) -> dt.datetime:
    """A time during office hours on `day`, aware, in the client's zone."""
    return dt.datetime.combine(day, dt.time(rng.randint(9, 17), rng.randint(0, 59)),
                               tzinfo=ZoneInfo(zone))


def debtor_generate(spec: ClientSpec, *, seed: int, index: int, today: dt.date,
                    invoice_cap: int | None = None) -> DebtorRecord:
    """One debtor and its 24 months of ledger; at most `invoice_cap` invoices."""
    rng = random.Random(f"fido-demo/{seed}/{spec.key}/{index}")  # noqa: S311 - demo data
    consumer = rng.random() < spec.consumer_share
    kind = "consumer" if consumer else "business"
    identity = _identity(spec, rng, kind, today.year)
    behaviour = rng.choices(BEHAVIOURS, weights=spec.behaviour_weights)[0]
    record = DebtorRecord(index=index, code=f"{spec.customer_prefix}{index + 1:06d}",
                          behaviour=behaviour, identity=identity)
    start = today - dt.timedelta(days=WINDOW_DAYS)
    # Most customers were there before the window opened; some joined during it.
    since = start if rng.random() < 0.8 else start + _days(rng.randint(0, WINDOW_DAYS - 60))

    median = spec.amount_median[0 if consumer else 1]
    size = rng.lognormvariate(0, 0.35 if consumer else 0.7)  # a household's or firm's size
    per_month = spec.orders_per_month[0 if consumer else 1]
    if not consumer:
        monthly = median * size * (per_month or 1 / max(spec.billing_months, 1))
        terms = max(spec.terms_days)
        if rng.random() < 0.8:
            limit = monthly * (terms / 30 + 1) * 1.5
            record.credit_limit = max(1000, round(limit / 1000 + 0.5) * 1000) * 100
        if rng.random() < 0.35:
            record.other_exposure = round(monthly * rng.uniform(0.2, 1.5) * 100)

    # When things go wrong: the day a defaulter stops paying, a struggling debtor starts
    # paying in instalments, or (rarely) the debtor dies.
    turn = start + _days(rng.randint(60, WINDOW_DAYS - 90))
    death: dt.date | None = None
    # About one consumer in 150 dies during the window (a fixed place in the sequence, so
    # that even a small demo has one).
    if consumer and index % 150 in (37, 111):
        death = start + _days(rng.randint(200, WINDOW_DAYS - 30))
    _flags_draw(record, rng, spec, behaviour, consumer, death, since, today)

    ledger = _Ledger(record, rng, spec, today, spec.methods[0 if consumer else 1])
    terms_days = rng.choice(spec.terms_days)
    if spec.billing_months:
        issue = since + _days(rng.randint(0, 30 * spec.billing_months))
    else:
        issue = since + _days(rng.expovariate(per_month) * 30)
    sequence = 0
    stop_supply = turn + dt.timedelta(days=120) if behaviour == DEFAULTING else None
    while issue <= today and (invoice_cap is None or sequence < invoice_cap):
        if death and issue > death + dt.timedelta(days=60):
            break  # the supply contract ends with the estate
        if stop_supply and issue > stop_supply:
            break  # supply cut off: the creditor stops serving a defaulter
        sequence += 1
        factor = size
        if spec.seasonal and issue.month in (11, 12, 1, 2, 3):
            factor *= 1.45
        amount = _amount(rng, median, spec.amount_sigma, factor)
        due = issue + dt.timedelta(days=terms_days)
        if spec.end_of_month:
            due = _end_of_month(due)
        number = f"{spec.invoice_prefix}{issue.year}-{index + 1:06d}-{sequence:03d}"
        courtesy = _courtesy_draw(spec, seed=seed, number=number, due=due, amount=amount,
                                  kind=kind, flags=record.flags, today=today)
        _invoice_settle(ledger, behaviour, number, issue, due, amount, turn=turn, death=death,
                        courtesy=courtesy)
        if spec.billing_months:
            issue = _add_months(issue, spec.billing_months)
        else:
            issue += dt.timedelta(days=max(1, int(rng.expovariate(per_month) * 30)))
    return record


def _flags_draw(record: DebtorRecord, rng: random.Random, spec: ClientSpec, behaviour: str,
                consumer: bool, death: dt.date | None, since: dt.date, today: dt.date) -> None:
    def moment_after(day: dt.date) -> dt.datetime:
        span = max(0, (today - day).days)
        return _moment(rng, day + _days(rng.randint(0, span)), spec.timezone)

    if death is not None:
        informed = min(today, death + _days(rng.randint(15, 60)))
        record.flags["deceased"] = _moment(rng, informed, spec.timezone)
    if consumer and rng.random() < (0.06 if behaviour == IN_DIFFICULTY else 0.015):
        record.flags["vulnerable"] = moment_after(since)
    if rng.random() < (0.04 if behaviour == DISPUTING else 0.01):
        record.flags["do_not_call"] = moment_after(since)


def _invoice_settle(ledger: _Ledger, behaviour: str, number: str, issue: dt.date, due: dt.date,
                    amount: int, *, turn: dt.date, death: dt.date | None,
                    courtesy: Courtesy | None = None) -> None:
    """Add the invoice, its credit notes and the payments the debtor's behaviour makes (some
    made on time after a courtesy call, see _courtesy_day)."""
    rng, record, today, spec = ledger.rng, ledger.record, ledger.today, ledger.spec
    outstanding = amount
    status = "open"

    # Credit notes any customer may get: a correction, rarely a cancellation.
    roll = rng.random()
    if roll < 0.03:
        day = issue + _days(rng.randint(3, 25))
        if day <= today:
            credit = amount if roll < 0.004 else max(100, round(amount * rng.uniform(0.05, 0.4)))
            kind = "adjustment" if rng.random() < 0.2 else "credit_note"
            reason = ("Invoice issued in error" if credit == amount
                      else rng.choice(spec.credit_note_reasons))
            record.credit_notes.append(CreditNoteRecord(
                f"NC-{number}-1", number, kind, credit, day, reason))
            outstanding -= credit
            status = "paid" if outstanding == 0 else "partially_paid"

    def add_invoice(final_status: str) -> None:
        record.invoices.append(InvoiceRecord(number, issue, due, amount, outstanding,
                                             final_status, courtesy.code if courtesy else ""))

    if outstanding == 0:
        add_invoice(status)
        return

    if death is not None and due > death:
        add_invoice(status)  # nobody pays after the death; the estate is pursued later
        return

    if behaviour == DISPUTING and rng.random() < 0.22:
        resolved_by = due + _days(rng.randint(20, 120))
        if resolved_by <= today and rng.random() < 0.65:
            # Settled: the creditor concedes part by credit note, the debtor pays the rest.
            credit = max(100, round(outstanding * rng.uniform(0.1, 0.6)))
            credit = min(credit, outstanding)
            record.credit_notes.append(CreditNoteRecord(
                f"NC-{number}-2", number, "credit_note", credit, resolved_by,
                "Dispute settled"))
            outstanding -= credit
            add_invoice("paid" if outstanding == 0 else "partially_paid")
            ledger.pay(resolved_by + _days(rng.randint(3, 30)), outstanding, invoice=number,
                       named=0.95)
        else:
            add_invoice("disputed")  # still contested: on hold, nothing allocated to it
        return

    add_invoice(status)
    pay = ledger.pay
    if behaviour == ON_TIME:
        day = due if ledger.preferred == "direct_debit" else due - _days(rng.randint(0, 10))
        ledger.pay_in_full(max(day, issue), outstanding, invoice=number, named=0.9)
        _maybe_overpay(ledger, max(day, issue), outstanding, number)
    elif behaviour == LATE_PAYER or (behaviour == IN_DIFFICULTY and due < turn):
        day = _courtesy_day(courtesy, behaviour, due, due + _days(max(3, rng.gauss(30, 12))))
        if rng.random() < 0.1:  # in two parts
            first = _round_down(outstanding // 2, 1000) if outstanding > 2000 else outstanding
            pay(day, first, invoice=number, named=0.6)
            pay(day + _days(rng.randint(20, 40)), outstanding - first, invoice=number,
                named=0.6)
        else:
            ledger.pay_in_full(day, outstanding, invoice=number, named=0.6)
            _maybe_overpay(ledger, day, outstanding, number)
    elif behaviour == FORGETFUL:
        late = rng.random() < 0.35
        day = due + _days(rng.randint(15, 80) if late else rng.randint(-3, 4))
        day = _courtesy_day(courtesy, behaviour, due, day)
        ledger.pay_in_full(max(day, issue), outstanding, invoice=number, named=0.5)
    elif behaviour == DISPUTING:
        day = _courtesy_day(courtesy, behaviour, due, due + _days(rng.gauss(12, 10)))
        ledger.pay_in_full(max(day, issue), outstanding, invoice=number, named=0.8)
    elif behaviour == IN_DIFFICULTY:
        if rng.random() < 0.2:
            return  # left unpaid
        parts = rng.randint(2, 4)
        day = due + _days(max(5, rng.gauss(35, 15)))
        left = outstanding
        for part in range(parts):
            if part == parts - 1:
                cents = left
            else:
                cents = min(left, _round_down(outstanding // parts, 1000))
            pay(day, cents, invoice=number, named=0.3,
                method="bank_transfer" if rng.random() < 0.7 else "cash")
            left -= cents
            day += _days(rng.randint(20, 45))
            if left <= 0:
                break
    elif behaviour == DEFAULTING:
        day = due + _days(max(5, rng.gauss(45, 20)))
        if day < turn:
            pay(day, outstanding, invoice=number, named=0.4)
            return
        if rng.random() < 0.1:  # a token payment on account, then nothing
            pay(max(turn, due) + _days(rng.randint(10, 60)),
                min(outstanding, _round_down(outstanding // 5, 1000)), invoice=number,
                named=0.2)
        decided = due + _days(rng.randint(300, 420))
        if decided <= today and rng.random() < 0.75:
            record.write_offs.append(WriteOffRecord(
                f"WO-{number}", number, decided, "Uncollectable: debtor in default"))


def _maybe_overpay(ledger: _Ledger, day: dt.date, cents: int, number: str) -> None:
    """Now and then a payer rounds up or sends the same transfer twice: the surplus stays on
    account and settles the next invoice (or remains there when none is open)."""
    rng = ledger.rng
    roll = rng.random()
    if roll < 0.01:
        surplus, day = cents, day + _days(rng.randint(1, 3))
        ledger.pay(day, surplus, invoice="", named=0.0, method="bank_transfer")
    elif roll < 0.03:
        surplus = 1000 - cents % 1000 if cents % 1000 else 1000
        ledger.pay(day, surplus, invoice="", named=0.0)
    else:
        return
    if day <= ledger.today:
        ledger.on_account += surplus


def invoice_budget_split(total: int, specs: Sequence[ClientSpec]) -> list[int]:
    """Share `total` invoices among the clients by their `share` (largest remainder)."""
    weights = [spec.share for spec in specs]
    scale = total / sum(weights)
    exact = [weight * scale for weight in weights]
    counts = [int(value) for value in exact]
    order = sorted(range(len(specs)), key=lambda i: exact[i] - counts[i], reverse=True)
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


def client_stream(spec: ClientSpec, *, seed: int, today: dt.date, invoices: int
                  ) -> Iterator[DebtorRecord]:
    """Debtors of one client until `invoices` invoices have been generated."""
    remaining, index = invoices, 0
    while remaining > 0:
        record = debtor_generate(spec, seed=seed, index=index, today=today,
                                 invoice_cap=remaining)
        remaining -= len(record.invoices)
        index += 1
        yield record


def specs_select(keys: Sequence[str] | None) -> list[ClientSpec]:
    if not keys:
        return list(DEMO_CLIENTS)
    unknown = set(keys) - set(CLIENT_KEYS)
    if unknown:
        raise ValueError(f"unknown demo client(s) {', '.join(sorted(unknown))}; "
                         f"choose among {', '.join(CLIENT_KEYS)}")
    return [spec for spec in DEMO_CLIENTS if spec.key in keys]
