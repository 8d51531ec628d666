"""Hand-built answers, cases and payments for the report tests."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from experience.models import Programme, Response, Survey
from experience.themes import themes_for
from portfolio.models import CreditNote
from tests.factories import InvoiceFactory, PaymentFactory
from tests.recovery.factories import CollectionCaseFactory

WHEN = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)


def answer(*, client=None, case=None, agent=None, nps: int, kind: str = "transactional",
           when: dt.datetime = WHEN, comment: str = "", ces: int | None = None,
           csat: int | None = None, language: str = "it", strategy: str | None = None,
           ) -> Response:
    """An answer as the survey page stores it: with its survey, cohort and themes."""
    client = client or case.client
    if kind == "competitive":
        return Response.objects.create(
            client=client, kind=kind, nps=nps, comment=comment, answered_at=when,
            trigger="market_study", source="Study", source_ref=f"R{Response.objects.count()}",
            themes=themes_for(comment), language=language)
    programme, _ = Programme.objects.get_or_create(client=client, kind=kind)
    debtor = case.debtor
    strategy = case.strategy if strategy is None else strategy
    survey = Survey.objects.create(
        client=client, programme=programme, debtor=debtor, kind=kind,
        trigger="collection_contact", case=case, agent=agent, strategy=strategy,
        status="answered", due_at=when, sent_at=when, answered_at=when)
    return Response.objects.create(
        client=client, kind=kind, survey=survey, debtor=debtor, nps=nps, comment=comment,
        ces=ces, csat=csat, themes=themes_for(comment), language=language, answered_at=when,
        trigger=survey.trigger, case=case, agent=agent, strategy=strategy)


def case_with_cash(*, client, strategy: str = "empathetic", cash: tuple[str, ...] = (),
                   overdue: str = "100.00", written_off: str | None = None,
                   opened: dt.datetime = dt.datetime(2026, 2, 15, 9, 0, tzinfo=dt.UTC)):
    """A case of a new debtor with payments (value dates after it opened) and, if asked, a
    write-off that closed it as lost."""
    case = CollectionCaseFactory(debtor__client=client, strategy=strategy, opened_at=opened,
                                 overdue_amount=Decimal(overdue))
    for n, amount in enumerate(cash):
        PaymentFactory(debtor=case.debtor, amount=Decimal(amount),
                       value_date=opened.date() + dt.timedelta(days=5 + n))
    if written_off is not None:
        invoice = InvoiceFactory(debtor=case.debtor, amount=Decimal(written_off),
                                 open_balance=Decimal("0"), status="written_off")
        CreditNote.objects.create(client=client, invoice=invoice, kind="write_off",
                                  number=f"WO-{case.pk}", amount=Decimal(written_off),
                                  issue_date=opened.date() + dt.timedelta(days=10))
        case.status = "closed"
        case.close_reason = "written_off"
        case.closed_at = opened + dt.timedelta(days=12)
        case.overdue_amount = Decimal("0")
        case.save()
    return case
