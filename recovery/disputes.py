"""Disputes: opening one on invoices of a case (they go on hold: no collection contact about
them, out of the case's overdue) and its resolution by a second-level user: upheld → a credit
note for the disputed open amount through portfolio's ledger service; rejected → the invoices
go back to collection. Every change is on the dispute row (who opened it, when, from which
contact; who resolved it, when, how, with what note and credit note) and on the contact
engine's hold (placed and released with its actor)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from access.errors import DomainError
from access.scoping import scope_to_user
from compliance import services as compliance_services
from portfolio import services as portfolio_services
from portfolio.models import Invoice
from recovery import opening, services
from recovery.models import (
    NOTES_MAX,
    AgentSkills,
    CollectionCase,
    CollectionContact,
    Dispute,
    DisputedInvoice,
)

__all__ = ["can_resolve_disputes", "dispute_open", "dispute_resolve"]

Outcome = Dispute.Status


def can_resolve_disputes(user: Any) -> bool:
    """Second-level users resolve disputes: team leaders and credit managers (resolve_dispute),
    whoever works second-level cases, and agents with the second-level skill."""
    if not user.is_authenticated:
        return False
    if user.has_perm("recovery.resolve_dispute") or user.has_perm("recovery.work_second_level"):
        return True
    return (user.has_perm("recovery.work_case")
            and AgentSkills.objects.filter(user_id=user.pk, second_level=True).exists())


def _case_refresh(case: CollectionCase, as_of: dt.date) -> None:
    """The case opener's refresh for this debtor: the overdue without the disputed invoices,
    held when nothing else is overdue, released when something is again."""
    opening.cases_open_chunk(client=case.client, as_of=as_of, lo=case.debtor_id,
                             hi=case.debtor_id + 1)


def _invoices(case: CollectionCase, invoice_ids: list[int]) -> list[Invoice]:
    try:
        wanted = sorted({int(i) for i in invoice_ids})
    except (TypeError, ValueError):
        raise DomainError("Invoices are named by their ids.", code="dispute_invoices",
                          field="invoices") from None
    if not wanted:
        raise DomainError("Name the invoices the debtor disputes.", code="dispute_invoices",
                          field="invoices")
    invoices = list(Invoice.objects.select_for_update().filter(
        pk__in=wanted, debtor_id=case.debtor_id, client_id=case.client_id).order_by("pk"))
    if len(invoices) != len(wanted):
        raise DomainError("A disputed invoice is not this debtor's.", code="dispute_invoices",
                          field="invoices")
    payable = {Invoice.Status.OPEN, Invoice.Status.PARTIALLY_PAID}
    closed = [i.number for i in invoices if i.status not in payable or i.open_balance <= 0]
    if closed:
        raise DomainError(f"Only unpaid invoices can be disputed: {', '.join(closed)}.",
                          code="dispute_invoices", field="invoices")
    return invoices


@transaction.atomic
def dispute_open(*, case: CollectionCase, invoice_ids: list[int], reason: str, detail: str,
                 by: Any, contact: CollectionContact | None = None,
                 now: dt.datetime | None = None) -> Dispute:
    """Open a dispute on invoices of an open case: they go to status disputed and under a
    dispute hold (SPEC §1: no collection contact about them on any channel) and leave the
    case's overdue; a case with nothing else overdue is held."""
    now = now or timezone.now()
    if not by.is_authenticated or not by.has_perm("recovery.add_dispute"):
        raise DomainError("Your role does not log disputes.", code="forbidden")
    if not scope_to_user(CollectionCase.objects.filter(pk=case.pk), by).exists():
        raise DomainError("This case is not one of your clients'.", code="forbidden")
    case = (CollectionCase.objects.select_for_update(of=("self",))
            .select_related("debtor", "client").get(pk=case.pk))
    if not case.is_open:
        raise DomainError("This case is closed.", code="case_closed")
    if reason not in Dispute.Reason.values:
        raise DomainError(f"reason must be one of {', '.join(Dispute.Reason.values)}.",
                          code="bad_choice", field="reason")
    detail = detail.strip()
    if len(detail) > NOTES_MAX:
        raise DomainError(f"The story is too long ({NOTES_MAX} characters at most).",
                          code="bad_detail", field="detail")
    if contact is not None and contact.case_id != case.pk:
        raise DomainError("The contact is not about this case.", code="bad_contact",
                          field="contact")
    invoices = _invoices(case, invoice_ids)
    dispute = services.dispute_log(case=case, invoices=invoices, reason=reason, detail=detail,
                                   by=by, now=now, contact=contact)
    _case_refresh(case, timezone.localdate(now))
    return dispute


def _credit_note_number(dispute: Dispute, invoice: Invoice) -> str:
    return f"DSP-{dispute.pk}-{invoice.number}"[:64]


@transaction.atomic
def dispute_resolve(*, dispute: Dispute, by: Any, outcome: str, note: str,
                    now: dt.datetime | None = None) -> Dispute:
    """Uphold or reject an open dispute, with a note. Upheld: a credit note for each disputed
    invoice's open amount (portfolio's `credit_note_issue`, so that the ledger stays
    consistent; the dispute keeps the first). Rejected: the invoices go back to collection.
    Either way the invoices leave the dispute, the hold is released and the case refreshed."""
    now = now or timezone.now()
    if not can_resolve_disputes(by):
        raise DomainError("Only a second-level user resolves disputes.", code="forbidden")
    if not scope_to_user(Dispute.objects.filter(pk=dispute.pk), by).exists():
        raise DomainError("This dispute is not one of your clients'.", code="forbidden")
    if outcome not in (Outcome.UPHELD, Outcome.REJECTED):
        raise DomainError("outcome must be upheld or rejected.", code="bad_choice",
                          field="outcome")
    note = note.strip()
    if not note:
        raise DomainError("Say why, in the note.", code="reason_required", field="note")
    if len(note) > NOTES_MAX:
        raise DomainError(f"The note is too long ({NOTES_MAX} characters at most).",
                          code="bad_note", field="note")
    dispute = (Dispute.objects.select_for_update(of=("self",))
               .select_related("case", "case__client", "hold").get(pk=dispute.pk))
    if dispute.status != Outcome.OPEN:
        raise DomainError("This dispute is resolved already.", code="illegal_transition")
    links = list(DisputedInvoice.objects.filter(dispute=dispute).select_related("invoice")
                 .order_by("invoice_id"))
    today = timezone.localdate(now)
    first_note = None
    for link in links:
        invoice = Invoice.objects.select_for_update().get(pk=link.invoice_id)
        if outcome == Outcome.UPHELD:
            amount = min(link.amount, invoice.open_balance)
            if amount > 0:
                credit = portfolio_services.credit_note_issue(
                    invoice=invoice, number=_credit_note_number(dispute, invoice),
                    amount=amount, issue_date=today, reason=f"Dispute upheld: {note}"[:200],
                    by=by)
                first_note = first_note or credit
        if invoice.status == Invoice.Status.DISPUTED:
            portfolio_services.invoice_dispute_resolve(invoice=invoice)
    DisputedInvoice.objects.filter(dispute=dispute).update(is_open=False)
    if dispute.hold is not None and dispute.hold.released_at is None:
        compliance_services.hold_release(hold=dispute.hold, actor=by, at=now)
    dispute.status, dispute.resolved_by, dispute.resolved_at = outcome, by, now
    dispute.resolution_note, dispute.credit_note = note, first_note
    dispute.save(update_fields=["status", "resolved_by", "resolved_at", "resolution_note",
                                "credit_note"])
    _case_refresh(dispute.case, today)
    return dispute
