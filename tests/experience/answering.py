"""Builders for the answer and closed-loop tests: a survey sent after a collection contact,
with its signed link."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from experience.links import issue_token
from experience.models import Programme, Survey
from portfolio.models import Client
from tests.recovery.factories import CollectionContactFactory


@dataclass
class SentSurvey:
    survey: Survey
    token: str

    @property
    def url(self) -> str:
        return f"/s/{self.token}/"


def sent_survey(client: Client, *, agent=None, language: str = "en", ask_ces: bool = True,
                ask_csat: bool = False, sent_at: dt.datetime | None = None,
                valid_days: int = 14, debtor=None) -> SentSurvey:
    """A transactional survey of `client`, sent after an answered collection contact."""
    programme, _created = Programme.objects.get_or_create(
        client=client, kind="transactional",
        defaults={"ask_ces": ask_ces, "ask_csat": ask_csat})
    if (programme.ask_ces, programme.ask_csat) != (ask_ces, ask_csat):
        programme.ask_ces, programme.ask_csat = ask_ces, ask_csat
        programme.save()
    extra = {"case__debtor": debtor} if debtor is not None else {"case__debtor__client": client}
    contact = CollectionContactFactory(agent=agent, **extra) if agent else \
        CollectionContactFactory(**extra)
    sent_at = sent_at or timezone.now() - dt.timedelta(hours=1)
    survey = Survey(
        client=client, programme=programme, debtor=contact.debtor, kind="transactional",
        trigger="collection_contact", case=contact.case, contact=contact, agent=contact.agent,
        strategy=contact.case.strategy, language=language, status=Survey.Status.SENT,
        due_at=sent_at, medium="sms", destination=contact.destination, sent_at=sent_at)
    token = issue_token(survey, sent_at, valid_days)
    survey.save()
    return SentSurvey(survey=survey, token=token)
