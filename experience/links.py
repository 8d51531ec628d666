"""Personal survey links: signed, single-use, expiring (SPEC §5).

A link carries a random token signed with the project's secret. Only the token's SHA-256 is
stored, so a copy of the database cannot be turned into working links, and a tampered link
fails its signature before any lookup. The survey's status makes the link single-use and its
`expires_at` makes it expire.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from enum import Enum

from django.core import signing
from django.urls import reverse

from experience.models import Survey

SALT = "experience.survey-link"
_signer = signing.Signer(salt=SALT)


class LinkProblem(Enum):
    """Why a link does not open a survey; the public page explains each in plain words."""

    TAMPERED = "tampered"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED = "used"


class LinkError(Exception):
    def __init__(self, problem: LinkProblem, survey: Survey | None = None) -> None:
        super().__init__(problem.value)
        self.problem = problem
        self.survey = survey


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue_token(survey: Survey, now: dt.datetime, valid_days: int) -> str:
    """Give `survey` a fresh token (replacing any earlier one) and return the signed token for
    its link. The caller saves the survey with `sent_at`, `token_hash` and `expires_at`."""
    raw = secrets.token_urlsafe(24)
    survey.token_hash = token_hash(raw)
    survey.expires_at = now + dt.timedelta(days=valid_days)
    return _signer.sign(raw)


def survey_path(signed_token: str) -> str:
    """The public page's path for a signed token (the message builds the absolute URL)."""
    return reverse("survey-public", kwargs={"token": signed_token})


def survey_for_token(signed_token: str, now: dt.datetime, *, for_update: bool = False) -> Survey:
    """The survey a link opens, or LinkError saying why not."""
    try:
        raw = _signer.unsign(signed_token)
    except signing.BadSignature:
        raise LinkError(LinkProblem.TAMPERED) from None
    queryset = Survey.objects.select_related("programme", "debtor")
    if for_update:
        queryset = queryset.select_for_update(of=("self",))
    survey = queryset.filter(token_hash=token_hash(raw)).first()
    if survey is None:
        raise LinkError(LinkProblem.UNKNOWN)
    if survey.status == Survey.Status.ANSWERED:
        raise LinkError(LinkProblem.USED, survey)
    if survey.status != Survey.Status.SENT or (survey.expires_at and survey.expires_at <= now):
        raise LinkError(LinkProblem.EXPIRED, survey)
    return survey
