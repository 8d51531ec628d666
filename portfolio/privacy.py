"""A debtor's personal data under the GDPR (SPEC §6): one export per debtor, and erasure
restricted by the law.

The client (creditor) is the controller, Fido's operator its processor; these services answer
the debtor's requests on the client's behalf and record each in the audit
(`access.AuditEvent`).

- Export (Art. 15 access, Art. 20 portability): every section of the debtor's data, as JSON.
- Erasure (Art. 17) is refused where a legal obligation or a legal claim requires the data
  to be kept (Art. 17(3)(b) and (e)): an open balance (the claim is still pursued), an open
  dispute, or accounting records younger than the client's retention period
  (`Client.retention_years`, 10 years in Italy: Civil Code art. 2220). The data is then
  RESTRICTED instead (Art. 18(1)(c)): kept, but not processed. No contact of any kind (the
  contact engine's `hold.restricted`), out of every work queue. The refusal and its reasons
  are returned to the person who asked and kept in the audit.
- Where erasure is allowed, the debtor's personal fields are pseudonymised and its contact
  points removed; the ledger rows (invoices, payments, credit notes) stay, named by the
  pseudonym, because the client's accounts need them.

Sections come from a registry, so that apps above `portfolio` (credit, scoring, caring,
compliance, and the collections and surveys apps to come) add their own data to the export,
their own reasons to keep it and their own pseudonymisation without `portfolio` importing
them: each registers a `PrivacySection` in its AppConfig.ready().
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Max, Sum
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _

from access.services import audit_event_record
from portfolio.models import ContactPoint, CreditNote, Debtor, Invoice, Payment

EXPORT_FORMAT = "fido-debtor-export/1"


@dataclass(frozen=True)
class PrivacySection:
    """One app's part of a debtor's personal data.

    `export(debtor)` returns JSON-ready data (dates and decimals are turned into strings);
    `blockers(debtor, today)` returns sentences saying why the data must be kept, empty when
    nothing in this section stands in the way of erasure; `erase(debtor)` pseudonymises the
    section's personal fields in place (it runs inside the erasure's transaction).
    """

    key: str
    export: Callable[[Debtor], Any]
    blockers: Callable[[Debtor, dt.date], list[str]] | None = None
    erase: Callable[[Debtor], None] | None = None
    order: int = 100


_SECTIONS: dict[str, PrivacySection] = {}


def privacy_section_register(section: PrivacySection) -> None:
    """Register (or replace, by key: ready() may run twice in tests) a section."""
    _SECTIONS[section.key] = section


def privacy_sections() -> list[PrivacySection]:
    return sorted(_SECTIONS.values(), key=lambda each: (each.order, each.key))


# --- selectors ---------------------------------------------------------------------------------

def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def debtor_last_accounting_entry(*, debtor: Debtor) -> dt.date | None:
    """The latest date of the debtor's accounting records: invoice issue and due dates,
    payment value dates, credit note dates."""
    dates = [
        Invoice.objects.filter(debtor=debtor).aggregate(
            last=Max("issue_date"), due=Max("due_date")).values(),
        Payment.objects.filter(debtor=debtor).aggregate(last=Max("value_date")).values(),
        CreditNote.objects.filter(invoice__debtor=debtor).aggregate(
            last=Max("issue_date")).values(),
    ]
    found = [day for group in dates for day in group if day is not None]
    return max(found) if found else None


def debtor_erasure_blockers(*, debtor: Debtor, today: dt.date | None = None) -> list[str]:
    """Why the debtor's data must be kept (each a sentence for the person who asked); empty
    when erasure is allowed."""
    today = today or timezone.localdate()
    open_rows = (Invoice.objects.filter(debtor=debtor, open_balance__gt=0)
                 .exclude(status__in=[Invoice.Status.PAID, Invoice.Status.WRITTEN_OFF])
                 .values("currency").annotate(total=Sum("open_balance")).order_by("currency"))
    reasons = [
        _("The debtor still owes %(amount)s %(currency)s: the client's claim is being pursued "
          "(GDPR Art. 17(3)(e), legal claims).") % {
            "amount": number_format(row["total"], 2, force_grouping=True),
            "currency": row["currency"]}
        for row in open_rows
    ]
    if Invoice.objects.filter(debtor=debtor, status=Invoice.Status.DISPUTED).exists():
        reasons.append(_("An invoice is disputed: the data is needed until the dispute is "
                         "settled (GDPR Art. 17(3)(e), legal claims)."))
    last = debtor_last_accounting_entry(debtor=debtor)
    years = debtor.client.retention_years
    if last is not None and last > _years_before(today, years):
        keep_until = last.replace(year=last.year + years) if not (
            last.month == 2 and last.day == 29) else last.replace(year=last.year + years, day=28)
        reasons.append(_(
            "Accounting records must be kept for %(years)s years after the last entry "
            "(%(last)s), until %(until)s (the client's retention period; in Italy Civil Code "
            "art. 2220; GDPR Art. 17(3)(b), legal obligation).") % {
            "years": years, "last": date_format(last, "SHORT_DATE_FORMAT"),
            "until": date_format(keep_until, "SHORT_DATE_FORMAT")})
    for section in privacy_sections():
        if section.blockers is not None:
            reasons += section.blockers(debtor, today)
    return reasons


# --- portfolio's own sections ------------------------------------------------------------------

PROFILE_FIELDS = ("id", "external_ref", "kind", "name", "tax_code", "vat_number", "sector",
                  "founded_year", "address_line", "postal_code", "city", "region", "country",
                  "timezone", "language", "credit_limit", "other_exposure", "do_not_call",
                  "do_not_call_set_at", "vulnerable", "vulnerable_set_at", "deceased",
                  "deceased_set_at", "processing_restricted", "processing_restricted_at",
                  "processing_restricted_reason", "erased_at", "created_at", "updated_at")


def _profile(debtor: Debtor) -> dict[str, Any]:
    return Debtor.objects.filter(pk=debtor.pk).values(*PROFILE_FIELDS).get()


def _contact_points(debtor: Debtor) -> Sequence[Mapping[str, object]]:
    return list(ContactPoint.objects.filter(debtor=debtor).order_by("id").values(
        "channel", "value", "label", "timezones", "source", "confirmed", "wrong_number_at",
        "created_at"))


def _invoices(debtor: Debtor) -> Sequence[Mapping[str, object]]:
    return list(Invoice.objects.filter(debtor=debtor).order_by("issue_date", "id").values(
        "number", "issue_date", "due_date", "amount", "currency", "open_balance", "status"))


def _payments(debtor: Debtor) -> Sequence[Mapping[str, object]]:
    return list(Payment.objects.filter(debtor=debtor).order_by("value_date", "id").values(
        "external_ref", "amount", "currency", "value_date", "method", "invoice_reference",
        "unallocated_amount"))


def _credit_notes(debtor: Debtor) -> Sequence[Mapping[str, object]]:
    return list(CreditNote.objects.filter(invoice__debtor=debtor).order_by("issue_date", "id")
                .values("number", "invoice__number", "kind", "amount", "issue_date", "reason"))


def _erase_contact_points(debtor: Debtor) -> None:
    ContactPoint.objects.filter(debtor=debtor).delete()


def _erase_profile(debtor: Debtor) -> None:
    Debtor.objects.filter(pk=debtor.pk).update(
        name=f"Erased debtor {debtor.pk}", external_ref=f"erased-{debtor.pk}", tax_code="",
        vat_number="", founded_year=None, address_line="", postal_code="", city="", region="",
        timezone="", erased_at=timezone.now(), updated_at=timezone.now())


PORTFOLIO_SECTIONS = (
    PrivacySection(key="profile", export=_profile, erase=_erase_profile, order=0),
    PrivacySection(key="contact_points", export=_contact_points, erase=_erase_contact_points,
                   order=1),
    PrivacySection(key="invoices", export=_invoices, order=2),
    PrivacySection(key="payments", export=_payments, order=3),
    PrivacySection(key="credit_notes", export=_credit_notes, order=4),
)


# --- services ----------------------------------------------------------------------------------

def _json_ready(value: Any) -> Any:
    """Dates, times and decimals as strings (money never becomes a float)."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def debtor_data_export(*, debtor: Debtor, actor: Any) -> dict[str, Any]:
    """Every section of the debtor's data, JSON-ready, and the export recorded in the audit."""
    with transaction.atomic():
        sections = {section.key: section.export(debtor) for section in privacy_sections()}
        audit_event_record(actor=actor, action="debtor.export", client_id=debtor.client_id,
                           object_type="portfolio.debtor", object_id=debtor.pk,
                           detail={"sections": sorted(sections)})
    return _json_ready({
        "format": EXPORT_FORMAT,
        "generated_at": timezone.now(),
        "controller": {"name": debtor.client.name, "vat_number": debtor.client.vat_number},
        "debtor_id": debtor.pk,
        "sections": sections,
    })


@dataclass
class ErasureOutcome:
    erased: bool
    restricted: bool
    reasons: list[str] = field(default_factory=list)

    @property
    def message(self) -> str:
        if self.erased:
            return _("The debtor's personal data was erased (pseudonymised); the accounting "
                     "records stay under the pseudonym.")
        return _("Erasure refused: the law requires the data to be kept. Processing is "
                 "restricted instead: no contact, out of every queue. Reasons: %(reasons)s") % {
            "reasons": " ".join(self.reasons)}


def debtor_processing_restrict(*, debtor: Debtor, actor: Any, reason: str) -> Debtor:
    """Restrict processing of the debtor's data (GDPR Art. 18): no contact of any kind, out
    of every work queue. Recorded in the audit."""
    with transaction.atomic():
        locked = Debtor.objects.select_for_update().get(pk=debtor.pk)
        if not locked.processing_restricted:
            now = timezone.now()
            Debtor.objects.filter(pk=debtor.pk).update(
                processing_restricted=True, processing_restricted_at=now,
                processing_restricted_by=actor if getattr(actor, "is_authenticated", False)
                else None,
                processing_restricted_reason=reason, updated_at=now)
            audit_event_record(actor=actor, action="debtor.restrict", client_id=debtor.client_id,
                               object_type="portfolio.debtor", object_id=debtor.pk,
                               detail={"reason": reason})
    debtor.refresh_from_db()
    return debtor


def debtor_erase(*, debtor: Debtor, actor: Any, today: dt.date | None = None) -> ErasureOutcome:
    """Answer an erasure request: pseudonymise where the law allows it, else restrict and say
    why. Either way the request and its outcome are in the audit."""
    with transaction.atomic():
        debtor = Debtor.objects.select_for_update().select_related("client").get(pk=debtor.pk)
        if debtor.erased_at is not None:
            return ErasureOutcome(erased=True, restricted=debtor.processing_restricted)
        reasons = debtor_erasure_blockers(debtor=debtor, today=today)
        if reasons:
            audit_event_record(actor=actor, action="debtor.erasure_refused",
                               client_id=debtor.client_id, object_type="portfolio.debtor",
                               object_id=debtor.pk, detail={"reasons": reasons})
            debtor_processing_restrict(debtor=debtor, actor=actor,
                                       reason=" ".join(reasons))
            return ErasureOutcome(erased=False, restricted=True, reasons=reasons)
        for section in privacy_sections():
            if section.erase is not None:
                section.erase(debtor)
        audit_event_record(actor=actor, action="debtor.erase", client_id=debtor.client_id,
                           object_type="portfolio.debtor", object_id=debtor.pk,
                           detail={"sections": [s.key for s in privacy_sections() if s.erase]})
    return ErasureOutcome(erased=True, restricted=debtor.processing_restricted)

