"""Write use cases of the ledger. Views, the API, imports, admin actions and tasks call these."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.models import AnonymousUser, User
from django.db import IntegrityError, models, transaction
from django.db.models import F
from django.utils import timezone

from access.errors import DomainError
from access.roles import Role
from access.scoping import access_for
from portfolio import validation
from portfolio.allocation import allocate_open_payments
from portfolio.contact_data import identifier_validate, phone_normalise, timezone_from_address
from portfolio.messages import N_
from portfolio.models import (
    Client,
    ContactPoint,
    CreditNote,
    Debtor,
    Invoice,
    Payment,
    PaymentReversal,
)

CENT = validation.CENT


def money_parse(value: object, *, field_name: str = "amount", allow_zero: bool = True) -> Decimal:
    """A Decimal with at most two decimals, never negative; DomainError naming the field else.
    The rule itself is portfolio.validation's, shared with the API and the imports."""
    return validation.money_parse(value, field=field_name, allow_zero=allow_zero)


# Free-text fields of a debtor, each no longer than its column (portfolio.validation.text_check).
_DEBTOR_TEXT_FIELDS = ("external_ref", "name", "tax_code", "vat_number", "sector",
                       "address_line", "postal_code", "city", "region", "language")
# A phone as written ("+39 02 1234 5678 int. 12"): longer input is not a number.
PHONE_INPUT_MAX_LENGTH = 40


@dataclass
class DebtorData:
    external_ref: str
    name: str
    kind: str
    country: str
    tax_code: str = ""
    vat_number: str = ""
    sector: str = ""
    founded_year: int | None = None
    address_line: str = ""
    postal_code: str = ""
    city: str = ""
    region: str = ""
    language: str = "it"
    phones: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)


def _text_max_length(name: str) -> int:
    field = Debtor._meta.get_field(name)
    if not isinstance(field, models.Field) or field.max_length is None:
        raise TypeError(f"Debtor.{name} is not a text field with a maximum length.")
    return field.max_length


def debtor_data_clean(data: DebtorData) -> DebtorData:
    """Validate and normalise one debtor's data; raise DomainError naming the first problem."""
    if not data.external_ref.strip():
        raise DomainError(N_("The customer code is empty."), code="required",
                          field="external_ref")
    if not data.name.strip():
        raise DomainError(N_("The name is empty."), code="required", field="name")
    for name in _DEBTOR_TEXT_FIELDS:
        validation.text_check(getattr(data, name).strip(), field=name,
                              max_length=_text_max_length(name))
    if data.kind not in Debtor.Kind.values:
        raise DomainError(N_("kind %(kind)s must be one of %(choices)s.")
                          % {"kind": repr(data.kind), "choices": ", ".join(Debtor.Kind.values)},
                          code="bad_choice", field="kind")
    country = validation.country_check(data.country)
    if data.founded_year is not None:
        validation.founded_year_check(data.founded_year)
    phones = []
    for raw in data.phones:
        if raw.strip():
            validation.text_check(raw, field="phone", max_length=PHONE_INPUT_MAX_LENGTH)
            number, _zones = phone_normalise(raw, default_country=country)
            phones.append(number)
    emails = [validation.email_check(email) for email in data.emails if email.strip()]
    return DebtorData(
        external_ref=data.external_ref.strip(), name=data.name.strip(), kind=data.kind,
        country=country,
        tax_code=identifier_validate(data.tax_code, country=country, kind="personalid"),
        vat_number=identifier_validate(data.vat_number, country=country, kind="vat"),
        sector=data.sector.strip(), founded_year=data.founded_year,
        address_line=data.address_line.strip(), postal_code=data.postal_code.strip(),
        city=data.city.strip(), region=data.region.strip().upper(),
        language=(data.language or "it").strip().lower()[:8], phones=phones, emails=emails,
    )


def contact_points_sync(*, debtor: Debtor, phones: list[str], emails: list[str]) -> None:
    """Add the client-file contact points the debtor does not have yet (never deletes: a number
    an agent added stays)."""
    rows = []
    for number in phones:
        _e164, zones = phone_normalise(number, default_country=debtor.country)
        rows.append(ContactPoint(client_id=debtor.client_id, debtor=debtor,
                                 channel=ContactPoint.Channel.PHONE, value=number,
                                 timezones=zones))
    rows += [ContactPoint(client_id=debtor.client_id, debtor=debtor,
                          channel=ContactPoint.Channel.EMAIL, value=email) for email in emails]
    ContactPoint.objects.bulk_create(rows, ignore_conflicts=True)


@transaction.atomic
def debtor_upsert(*, client: Client, data: DebtorData) -> tuple[Debtor, bool]:
    """Create the debtor, or update it by its customer code. Returns (debtor, created)."""
    clean = debtor_data_clean(data)
    defaults = {
        "name": clean.name, "kind": clean.kind, "country": clean.country,
        "tax_code": clean.tax_code, "vat_number": clean.vat_number, "sector": clean.sector,
        "founded_year": clean.founded_year, "address_line": clean.address_line,
        "postal_code": clean.postal_code, "city": clean.city, "region": clean.region,
        "language": clean.language,
        "timezone": timezone_from_address(clean.country, clean.region),
    }
    debtor, created = Debtor.objects.update_or_create(
        client=client, external_ref=clean.external_ref, defaults=defaults)
    contact_points_sync(debtor=debtor, phones=clean.phones, emails=clean.emails)
    return debtor, created


_FLAGS = {"do_not_call", "vulnerable", "deceased"}

# Who may change a debtor's protective flags (do-not-call, vulnerability, deceased).
# Setting one protects the debtor at once, so every role that talks to debtors may: an agent
# who hears "don't call me again", a disclosure of hardship or a death records it there and
# then. Lifting one removes a protection, so it takes a team leader or a credit manager (a
# mistaken clearance would let a vulnerable or bereaved person be called). Client viewers and
# committee members never change them; administrators may do everything.
FLAG_SETTERS = frozenset({Role.AGENT, Role.TEAM_LEADER, Role.CREDIT_MANAGER, Role.ADMINISTRATOR})
FLAG_CLEARERS = frozenset({Role.TEAM_LEADER, Role.CREDIT_MANAGER, Role.ADMINISTRATOR})


def debtor_flag_allowed(*, user: User | AnonymousUser, flag: str,
                        value: bool) -> bool:
    """Whether `user` may set (value=True) or clear (False) `flag` on a debtor they can see."""
    if flag not in _FLAGS or not user.is_authenticated:
        return False
    return access_for(user).has_role(*(FLAG_SETTERS if value else FLAG_CLEARERS))


@transaction.atomic
def debtor_flag_set(*, debtor: Debtor, flag: str, value: bool, by: User) -> Debtor:
    """Set or clear a protective flag, recording who and when (the database requires both).

    The contact engine reads the flags from the debtor row at each decision, so the change
    holds for the next call, survey or plan. Clearing keeps who cleared it and when in the
    same fields (the flag says which it was). Setting a flag that is already set changes
    nothing: the first report stands.
    """
    if flag not in _FLAGS:
        raise DomainError(f"{flag!r} is not a debtor flag.", code="bad_flag", field="flag")
    if not debtor_flag_allowed(user=by, flag=flag, value=value):
        raise DomainError(
            "Only a team leader or a credit manager may clear a protective flag." if not value
            else "Your role may not set debtor flags.", code="forbidden", field="flag")
    now = timezone.now()
    updates = {flag: value, f"{flag}_set_by": by, f"{flag}_set_at": now}
    rows = Debtor.objects.filter(pk=debtor.pk).exclude(**{flag: value})
    rows.update(**updates, updated_at=now)
    debtor.refresh_from_db()
    return debtor


def contact_point_wrong_number_report(*, point: ContactPoint, by: User | None,
                                      at: dt.datetime | None = None) -> ContactPoint:
    """Record that someone other than the debtor answers this number. The first report stands
    (a second one changes nothing)."""
    ContactPoint.objects.filter(pk=point.pk, wrong_number_at__isnull=True).update(
        wrong_number_at=at or timezone.now(), wrong_number_by=by)
    point.refresh_from_db()
    return point


def contact_point_wrong_number_clear(*, point: ContactPoint) -> ContactPoint:
    """The number was checked and is the debtor's after all: it may be called again."""
    ContactPoint.objects.filter(pk=point.pk).update(wrong_number_at=None, wrong_number_by=None)
    point.refresh_from_db()
    return point


def _check_dates(issue_date: dt.date, due_date: dt.date) -> None:
    validation.date_check(issue_date, field="issue_date")
    validation.date_check(due_date, field="due_date")
    if due_date < issue_date:
        raise DomainError(f"The due date {due_date} is before the issue date {issue_date}.",
                          code="bad_dates", field="due_date")


@transaction.atomic
def invoice_create(*, client: Client, debtor: Debtor, number: str, issue_date: dt.date,
                   due_date: dt.date, amount: Decimal) -> Invoice:
    if debtor.client_id != client.pk:
        raise DomainError("The debtor belongs to another client.", code="wrong_client",
                          field="debtor")
    validation.text_check(number.strip(), field="number", max_length=64, required=True)
    amount = money_parse(amount)
    _check_dates(issue_date, due_date)
    try:
        with transaction.atomic():
            invoice = Invoice.objects.create(
                client=client, debtor=debtor, number=number.strip(), issue_date=issue_date,
                due_date=due_date, amount=amount, currency=client.currency,
                open_balance=amount,
                status=Invoice.Status.OPEN if amount > 0 else Invoice.Status.PAID)
    except IntegrityError:
        raise DomainError(f"Invoice {number} already exists for this client.",
                          code="duplicate", field="number") from None
    # Credit left on account by earlier overpayments settles the new invoice.
    allocate_open_payments(client_id=client.pk)
    invoice.refresh_from_db()
    return invoice


@transaction.atomic
def payment_record(*, client: Client, debtor: Debtor, external_ref: str, amount: Decimal,
                   value_date: dt.date, method: str = Payment.Method.BANK_TRANSFER,
                   invoice_reference: str = "") -> tuple[Payment, bool]:
    """Record a payment and allocate it. A reference seen before returns the existing payment
    (created=False) and moves no money: a retried request never counts a payment twice."""
    if debtor.client_id != client.pk:
        raise DomainError("The debtor belongs to another client.", code="wrong_client",
                          field="debtor")
    if not external_ref.strip():
        raise DomainError("The payment reference is empty.", code="required",
                          field="external_ref")
    if method not in Payment.Method.values:
        raise DomainError(f"method {method!r} must be one of {', '.join(Payment.Method.values)}.",
                          code="bad_choice", field="method")
    amount = money_parse(amount, allow_zero=False)
    validation.date_check(value_date, field="value_date")
    validation.text_check(external_ref.strip(), field="external_ref", max_length=64)
    validation.text_check(invoice_reference.strip(), field="invoice_reference", max_length=64)
    existing = Payment.objects.filter(client=client, external_ref=external_ref.strip()).first()
    if existing is not None:
        if existing.amount != amount or existing.debtor_id != debtor.pk:
            raise DomainError(f"Payment {external_ref} already exists with other details.",
                              code="duplicate", field="external_ref")
        return existing, False
    payment = Payment.objects.create(
        client=client, debtor=debtor, external_ref=external_ref.strip(), amount=amount,
        currency=client.currency, value_date=value_date, method=method,
        invoice_reference=invoice_reference.strip(), unallocated_amount=amount)
    allocate_open_payments(client_id=client.pk)
    payment.refresh_from_db()
    return payment, True


@transaction.atomic
def payment_reverse(*, payment: Payment, booked_on: dt.date, reason: str, note: str = "",
                    by: User | AnonymousUser | None = None) -> PaymentReversal:
    """Reverse a payment that did not stay paid (bounced, returned, charged back, refunded):
    its allocations are undone, so the invoices it settled are open again and the collections
    desk sees them, and cash recovered takes it off in the period of `booked_on`."""
    if reason not in PaymentReversal.Reason.values:
        raise DomainError(N_("reason %(reason)s must be one of %(choices)s.")
                          % {"reason": repr(reason),
                             "choices": ", ".join(PaymentReversal.Reason.values)},
                          code="bad_choice", field="reason")
    validation.date_check(booked_on, field="booked_on")
    validation.text_check(note, field="note", max_length=200)
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if booked_on < payment.value_date:
        raise DomainError(N_("A reversal cannot be booked before the payment's value date "
                             "(%(date)s).") % {"date": payment.value_date.isoformat()},
                          code="before_payment", field="booked_on")
    if PaymentReversal.objects.filter(payment=payment).exists():
        raise DomainError(N_("Payment %(reference)s is already reversed.")
                          % {"reference": payment.external_ref},
                          code="already_reversed", field="payment")
    allocations = list(payment.allocations.select_related("invoice")
                       .select_for_update(of=("self", "invoice")).order_by("invoice_id"))
    for allocation in allocations:
        invoice = allocation.invoice
        balance = invoice.open_balance + allocation.amount
        status = invoice.status
        if status not in (Invoice.Status.DISPUTED, Invoice.Status.WRITTEN_OFF):
            # What the rest of the ledger still covers decides between open and part-paid.
            status = Invoice.Status.OPEN if balance >= invoice.amount \
                else Invoice.Status.PARTIALLY_PAID
        Invoice.objects.filter(pk=invoice.pk).update(open_balance=balance, status=status,
                                                     updated_at=timezone.now())
    # Deleting the allocations lets the database clear the invoices' settlement dates
    # (portfolio migration 0008's triggers on PostgreSQL).
    payment.allocations.all().delete()
    Payment.objects.filter(pk=payment.pk).update(unallocated_amount=0)
    reversal = PaymentReversal.objects.create(
        client_id=payment.client_id, payment=payment, amount=payment.amount,
        currency=payment.currency, booked_on=booked_on, reason=reason, note=note.strip(),
        created_by_id=getattr(by, "pk", None))
    # Credit the debtor still has unapplied now settles the reopened invoices, as it would
    # have if they had never been paid.
    allocate_open_payments(client_id=payment.client_id)
    return reversal


@transaction.atomic
def credit_note_issue(*, invoice: Invoice, number: str, amount: Decimal, issue_date: dt.date,
                      kind: str = CreditNote.Kind.CREDIT_NOTE, reason: str = "",
                      by: User | None = None) -> CreditNote:
    """Lower an invoice's balance by a credit note, adjustment or write-off."""
    amount = money_parse(amount, allow_zero=False)
    validation.date_check(issue_date, field="issue_date")
    validation.text_check(number.strip(), field="number", max_length=64, required=True)
    validation.text_check(reason, field="reason", max_length=200)
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if amount > invoice.open_balance:
        raise DomainError(f"The credit of {amount} exceeds the open balance of "
                          f"{invoice.open_balance} on invoice {invoice.number}.",
                          code="exceeds_balance", field="amount")
    if kind not in CreditNote.Kind.values:
        raise DomainError(f"kind {kind!r} is not a credit note kind.", code="bad_choice",
                          field="kind")
    try:
        with transaction.atomic():
            note = CreditNote.objects.create(
                client_id=invoice.client_id, invoice=invoice, number=number.strip(), kind=kind,
                amount=amount, issue_date=issue_date, reason=reason, created_by=by)
    except IntegrityError:
        raise DomainError(f"Credit note {number} already exists for this client.",
                          code="duplicate", field="number") from None
    new_balance = invoice.open_balance - amount
    status: str
    if kind == CreditNote.Kind.WRITE_OFF:
        status = Invoice.Status.WRITTEN_OFF
    elif invoice.status == Invoice.Status.DISPUTED:
        status = invoice.status
    elif new_balance == 0:
        status = Invoice.Status.PAID
    else:
        status = Invoice.Status.PARTIALLY_PAID
    Invoice.objects.filter(pk=invoice.pk).update(open_balance=F("open_balance") - amount,
                                                 status=status, updated_at=timezone.now())
    return note


# Legal status moves made by a decision (payments move the others by arithmetic).
_DISPUTE_FROM = {Invoice.Status.OPEN, Invoice.Status.PARTIALLY_PAID}


@transaction.atomic
def invoice_dispute_open(*, invoice: Invoice) -> Invoice:
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.status not in _DISPUTE_FROM:
        raise DomainError(f"Invoice {invoice.number} is {invoice.get_status_display().lower()} "
                          "and cannot be disputed.", code="illegal_transition", field="status")
    invoice.status = Invoice.Status.DISPUTED
    invoice.save(update_fields=["status", "updated_at"])
    return invoice


@transaction.atomic
def invoice_dispute_resolve(*, invoice: Invoice) -> Invoice:
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.status != Invoice.Status.DISPUTED:
        raise DomainError(f"Invoice {invoice.number} is not disputed.",
                          code="illegal_transition", field="status")
    if invoice.open_balance == 0:
        invoice.status = Invoice.Status.PAID
    elif invoice.open_balance == invoice.amount:
        invoice.status = Invoice.Status.OPEN
    else:
        invoice.status = Invoice.Status.PARTIALLY_PAID
    invoice.save(update_fields=["status", "updated_at"])
    allocate_open_payments(client_id=invoice.client_id)
    invoice.refresh_from_db()
    return invoice


@transaction.atomic
def debtor_credit_limit_set(*, debtor: Debtor, amount: Decimal | None) -> Debtor:
    """Record the credit limit in force (None: no limit). Called by credit's approval service."""
    value = None if amount is None else money_parse(amount, field_name="credit_limit")
    Debtor.objects.filter(pk=debtor.pk).update(credit_limit=value, updated_at=timezone.now())
    debtor.refresh_from_db()
    return debtor


@transaction.atomic
def debtor_other_exposure_set(*, debtor: Debtor, amount: Decimal) -> Debtor:
    """Record exposure beyond open invoices (orders not yet invoiced), as the client reports it."""
    value = money_parse(amount, field_name="other_exposure")
    Debtor.objects.filter(pk=debtor.pk).update(other_exposure=value, updated_at=timezone.now())
    debtor.refresh_from_db()
    return debtor
