"""Recording a debtor's answer from the public survey page, and the opt-out from surveys.

One transactional service: the link is checked and the survey row locked, the survey moves
from sent to answered with a conditional update that must change exactly one row, the answer
is written with its cohort copied from the survey, and the closed loop opens its follow-up.
Bad input is refused before anything is written; a second submit of the same link (a double
click, a second tab, a replay) finds the survey answered and is refused with LinkError(USED).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from access.errors import DomainError
from experience import loop
from experience.links import LinkError, LinkProblem, survey_for_token
from experience.models import (
    CES_MAX,
    CES_MIN,
    COMMENT_MAX,
    CSAT_MAX,
    CSAT_MIN,
    NPS_MAX,
    NPS_MIN,
    Response,
    Survey,
)
from experience.themes import themes_for


def _score(value: object, low: int, high: int, *, field: str, label: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise DomainError(_("%(question)s takes a whole number from %(low)d to %(high)d.")
                          % {"question": label, "low": low, "high": high},
                          code="out_of_range", field=field)
    return value


def answer_check(*, nps: object, comment: str, ces: object | None,
                 csat: object | None) -> str:
    """Refuse an answer that can never be stored (SPEC §4: outside 0-10 is rejected at entry);
    returns the cleaned comment."""
    _score(nps, NPS_MIN, NPS_MAX, field="nps", label=_("The recommendation score"))
    if ces is not None:
        _score(ces, CES_MIN, CES_MAX, field="ces", label=_("The effort score"))
    if csat is not None:
        _score(csat, CSAT_MIN, CSAT_MAX, field="csat", label=_("The satisfaction score"))
    comment = comment.strip()
    if len(comment) > COMMENT_MAX:
        raise DomainError(_("The comment is longer than %(max)d characters.")
                          % {"max": COMMENT_MAX}, code="too_long", field="comment")
    if "\x00" in comment:
        raise DomainError(_("The comment holds a character that cannot be stored."),
                          code="bad_character", field="comment")
    return comment


def response_record(*, signed_token: str, nps: int, comment: str = "", ces: int | None = None,
                    csat: int | None = None, complaint: bool = False,
                    now: dt.datetime | None = None) -> Response:
    """Store the answer to the survey the link opens. Raises DomainError for bad input and
    LinkError when the link does not open a survey (tampered, unknown, expired, answered)."""
    comment = answer_check(nps=nps, comment=comment, ces=ces, csat=csat)
    now = now or timezone.now()
    with transaction.atomic():
        survey = survey_for_token(signed_token, now, for_update=True)
        programme = survey.programme
        if ces is not None and not programme.ask_ces:
            raise DomainError(_("This survey does not ask the effort question."),
                              code="not_asked", field="ces")
        if csat is not None and not programme.ask_csat:
            raise DomainError(_("This survey does not ask the satisfaction question."),
                              code="not_asked", field="csat")
        # The lock above serialises submits on PostgreSQL; the condition makes a second submit
        # lose on every database (SQLite ignores FOR UPDATE).
        claimed = Survey.objects.filter(pk=survey.pk, status=Survey.Status.SENT).update(
            status=Survey.Status.ANSWERED, answered_at=now)
        if claimed != 1:
            raise LinkError(LinkProblem.USED, survey)
        response = Response.objects.create(
            client_id=survey.client_id, kind=survey.kind, survey=survey,
            debtor_id=survey.debtor_id, nps=nps, comment=comment, ces=ces, csat=csat,
            complaint=complaint, themes=themes_for(comment) if comment else [],
            language=survey.language, answered_at=now, trigger=survey.trigger,
            case_id=survey.case_id, agent_id=survey.agent_id, strategy=survey.strategy)
        response.debtor = survey.debtor
        loop.follow_up_open(response=response)
    return response
