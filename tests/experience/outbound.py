"""Shared makings of the survey outbound tests: a programme, debtors with a mobile number or
an e-mail address, a survey due now."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from experience.models import Kind, Programme, Survey, Trigger
from portfolio.models import Client, ContactPoint, Debtor
from tests.factories import ContactPointFactory, DebtorFactory

ROME = zoneinfo.ZoneInfo("Europe/Rome")
# A Tuesday morning in Rome: inside every default contact window.
WORK_TIME = dt.datetime(2026, 3, 10, 10, 0, tzinfo=ROME)

# Words and figures a survey message must never carry (SPEC §5: nothing about a debt).
DEBT_WORDS = ("debt", "invoice", "amount", "overdue", "owe", "payment", "collection",
              "debito", "fattura", "importo", "scadut", "pagament", "sollecito", "recupero",
              "credito", "insolut")


def programme(client: Client, **fields: Any) -> Programme:
    return Programme.objects.create(client=client, kind=fields.pop("kind", Kind.TRANSACTIONAL),
                                    **fields)


def mobile_debtor(client: Client, number: str = "+393331234567", **fields: Any) -> Debtor:
    debtor = DebtorFactory(client=client, **fields)
    ContactPointFactory(debtor=debtor, client=client, value=number, label="mobile")
    return debtor


def email_debtor(client: Client, address: str = "anna@example.com", **fields: Any) -> Debtor:
    debtor = DebtorFactory(client=client, **fields)
    ContactPointFactory(debtor=debtor, client=client, channel=ContactPoint.Channel.EMAIL,
                        value=address, timezones=[])
    return debtor


def due_survey(debtor: Debtor, prog: Programme, *, due_at: dt.datetime = WORK_TIME,
               kind: str = Kind.TRANSACTIONAL, **fields: Any) -> Survey:
    return Survey.objects.create(
        client=debtor.client, programme=prog, debtor=debtor, kind=kind,
        trigger=fields.pop("trigger", Trigger.COLLECTION_CONTACT),
        language=fields.pop("language", debtor.language), due_at=due_at, **fields)
