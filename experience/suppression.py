"""Who is not surveyed, and why (SPEC §5). Decided when a survey is scheduled and decided
again when it is sent, since a hold, an opt-out or another survey may have come in between.

A survey is suppressed when:
- any account hold applies: a hold row in force (cease, lawyer, dispute, insolvency, Breathing
  Space, complaint, vulnerability), a disputed invoice, or the debtor flagged deceased,
  vulnerable or with processing restricted (GDPR Art. 18);
- the agent marked the contact `do_not_survey` (with a reason);
- the debtor opted out of surveys: a `ContactRestriction` CHANNEL_OPT_OUT on the "survey"
  channel, honoured from the moment it is recorded;
- frequency: at most one transactional survey per 30 days (90 when the debtor is in Italy),
  none within 14 days of a relational one (either way round), a relational one at most every
  6 months.

`facts_load` reads everything a batch needs in a fixed number of queries; `reason_for` is pure.
Reasons are stored on the survey as "<rule id>: <sentence>" in English, the same evidence form
the contact engine's decisions use; `reason_display` renders one in the active language.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils.translation import gettext, gettext_noop

from compliance.models import ContactHold, ContactRestriction
from compliance.rules import Channel
from experience.models import Kind, Survey
from portfolio.models import Debtor, Invoice

TRANSACTIONAL_GAP = dt.timedelta(days=30)
TRANSACTIONAL_GAP_ITALY = dt.timedelta(days=90)
RELATIONAL_QUIET = dt.timedelta(days=14)
RELATIONAL_GAP = dt.timedelta(days=182)
# The longest span any frequency rule looks at, either side of a survey's time.
LOOK_AROUND = max(TRANSACTIONAL_GAP_ITALY, RELATIONAL_GAP)

# Surveys that reached the debtor or are about to: these count toward the frequency rules.
# A suppressed or undelivered survey never reached anyone and counts for nothing.
COUNTED = (Survey.Status.SCHEDULED, Survey.Status.SENT, Survey.Status.ANSWERED,
           Survey.Status.EXPIRED)

# Rule ids and their sentences (English evidence; translated for screens).
HOLD = "hold"
DO_NOT_SURVEY = "agent.do_not_survey"
OPTED_OUT = "debtor.survey_opt_out"
TRANSACTIONAL_30 = "frequency.transactional_30_days"
TRANSACTIONAL_90 = "frequency.transactional_90_days_italy"
NEAR_RELATIONAL = "frequency.relational_14_days"
RELATIONAL_6_MONTHS = "frequency.relational_6_months"

SENTENCES = {
    HOLD: gettext_noop("An account hold applies (%(holds)s)."),
    DO_NOT_SURVEY: gettext_noop("The agent asked for no survey: %(why)s"),
    OPTED_OUT: gettext_noop("The debtor opted out of surveys."),
    TRANSACTIONAL_30: gettext_noop("The debtor had a survey after a contact in the last 30 "
                                   "days."),
    TRANSACTIONAL_90: gettext_noop("The debtor is in Italy and had a survey after a contact "
                                   "in the last 90 days."),
    NEAR_RELATIONAL: gettext_noop("A periodic survey is within 14 days of this one."),
    RELATIONAL_6_MONTHS: gettext_noop("The debtor had a periodic survey in the last 6 "
                                      "months."),
}


@dataclass(frozen=True)
class Candidate:
    """A survey to decide: one about to be created (survey_id None) or one about to be sent."""

    debtor_id: int
    kind: str
    at: dt.datetime
    survey_id: int | None = None
    # The agent's reason when they marked the contact do_not_survey; None when they did not.
    do_not_survey: str | None = None


@dataclass(frozen=True)
class _Seen:
    kind: str
    at: dt.datetime
    survey_id: int | None
    scheduled: bool


@dataclass
class Facts:
    holds: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))
    opted_out: set[int] = field(default_factory=set)
    italy: set[int] = field(default_factory=set)
    history: dict[int, list[_Seen]] = field(default_factory=lambda: defaultdict(list))

    def add(self, candidate: Candidate, survey_id: int | None = None) -> None:
        """Count a survey just scheduled in this batch, so the next candidate of the same
        debtor sees it."""
        self.history[candidate.debtor_id].append(
            _Seen(candidate.kind, candidate.at, survey_id, True))

    def settle(self, candidate: Candidate, status: str, at: dt.datetime) -> None:
        """A survey of the batch was decided: count it from now on with its new status and
        time (or not at all when it was suppressed or not delivered)."""
        history = self.history[candidate.debtor_id]
        history[:] = [s for s in history if s.survey_id != candidate.survey_id]
        if status in COUNTED:
            history.append(_Seen(candidate.kind, at, candidate.survey_id,
                                 status == Survey.Status.SCHEDULED))


def facts_load(debtor_ids: Iterable[int], *, at: dt.datetime,
               around: tuple[dt.datetime, dt.datetime] | None = None) -> Facts:
    """Everything `reason_for` needs about these debtors at `at`, in five queries. `around`
    is the span of the candidates' times (default: `at`)."""
    ids = sorted(set(debtor_ids))
    facts = Facts()
    if not ids:
        return facts
    first, last = around or (at, at)
    for debtor_id, kind in (ContactHold.objects
                            .filter(debtor_id__in=ids, released_at__isnull=True,
                                    starts_at__lte=at)
                            .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=at))
                            .values_list("debtor_id", "kind")):
        facts.holds[debtor_id].append(kind)
    for debtor_id in (Invoice.objects.filter(debtor_id__in=ids, status=Invoice.Status.DISPUTED)
                      .order_by().values_list("debtor_id", flat=True).distinct()):
        facts.holds[debtor_id].append("dispute")
    for debtor_id, country, deceased, vulnerable, restricted in (
            Debtor.objects.filter(pk__in=ids).values_list(
                "pk", "country", "deceased", "vulnerable", "processing_restricted")):
        if country == "IT":
            facts.italy.add(debtor_id)
        for flag, on in (("deceased", deceased), ("vulnerability", vulnerable),
                         ("restricted", restricted)):
            if on:
                facts.holds[debtor_id].append(flag)
    facts.opted_out = set(ContactRestriction.objects.filter(
        debtor_id__in=ids, kind=ContactRestriction.Kind.CHANNEL_OPT_OUT, channel=Channel.SURVEY,
        revoked_at__isnull=True, created_at__lte=at).values_list("debtor_id", flat=True))
    for debtor_id, kind, due_at, survey_id, status in (
            Survey.objects.filter(debtor_id__in=ids, status__in=COUNTED,
                                  due_at__gt=first - LOOK_AROUND, due_at__lt=last + LOOK_AROUND)
            .values_list("debtor_id", "kind", "due_at", "pk", "status")):
        facts.history[debtor_id].append(
            _Seen(kind, due_at, survey_id, status == Survey.Status.SCHEDULED))
    return facts


def _counts_against(seen: _Seen, candidate: Candidate) -> bool:
    """Another survey counts against this one unless it is the same survey, or it is still
    only scheduled and comes after this one (then this one goes first and that one waits
    for its own check)."""
    if candidate.survey_id is not None and seen.survey_id == candidate.survey_id:
        return False
    if seen.scheduled and candidate.survey_id is not None and seen.survey_id is not None:
        return (seen.at, seen.survey_id) < (candidate.at, candidate.survey_id)
    return True


def _within(seen: _Seen, candidate: Candidate, span: dt.timedelta) -> bool:
    return abs(seen.at - candidate.at) < span


def reason_for(candidate: Candidate, facts: Facts) -> str:
    """The stored reason ("<rule id>: <sentence>") the survey is suppressed for, or ""."""
    holds = facts.holds.get(candidate.debtor_id)
    if holds:
        return reason_text(HOLD, holds=", ".join(sorted(set(holds))))
    if candidate.do_not_survey is not None:
        return reason_text(DO_NOT_SURVEY, why=candidate.do_not_survey.strip() or "-")
    if candidate.debtor_id in facts.opted_out:
        return reason_text(OPTED_OUT)
    others = [seen for seen in facts.history.get(candidate.debtor_id, ())
              if _counts_against(seen, candidate)]
    if candidate.kind == Kind.TRANSACTIONAL:
        italy = candidate.debtor_id in facts.italy
        gap = TRANSACTIONAL_GAP_ITALY if italy else TRANSACTIONAL_GAP
        if any(s.kind == Kind.TRANSACTIONAL and _within(s, candidate, gap) for s in others):
            return reason_text(TRANSACTIONAL_90 if italy else TRANSACTIONAL_30)
        if any(s.kind == Kind.RELATIONAL and _within(s, candidate, RELATIONAL_QUIET)
               for s in others):
            return reason_text(NEAR_RELATIONAL)
    elif candidate.kind == Kind.RELATIONAL:
        if any(s.kind == Kind.RELATIONAL and _within(s, candidate, RELATIONAL_GAP)
               for s in others):
            return reason_text(RELATIONAL_6_MONTHS)
        if any(s.kind == Kind.TRANSACTIONAL and _within(s, candidate, RELATIONAL_QUIET)
               for s in others):
            return reason_text(NEAR_RELATIONAL)
    return ""


def reason_text(rule_id: str, **values: str) -> str:
    text = SENTENCES[rule_id] % values if values else SENTENCES[rule_id]
    return f"{rule_id}: {text}"[:300]


def reason_display(stored: str) -> str:
    """A stored suppression reason in the active language. Reasons written by the contact
    engine (its rule ids and English sentence) are shown as stored."""
    rule_id, _sep, text = stored.partition(": ")
    sentence = SENTENCES.get(rule_id)
    if sentence is None:
        return stored
    if "%(" not in sentence:
        return gettext(sentence)
    # Put the stored values back into the translated sentence.
    template_head, _p, template_tail = sentence.partition("%(")
    key, _c, rest = template_tail.partition(")s")
    value = text.removeprefix(template_head).removesuffix(rest)
    return gettext(sentence) % {key: value}
