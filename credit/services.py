"""Write use cases of credit: requests and their tiered approval, limits, reviews, reminders,
financial statements. Views, the API, the admin and tasks call these and nothing else.

Every status move goes through `_move`, which refuses an illegal one with a DomainError naming
it; every decision adds one immutable CreditDecision row with the figures it was taken on.
"""

from __future__ import annotations

import calendar
import datetime as dt
import io
import logging
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import send_mass_mail
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from access.errors import DomainError
from access.roles import Role
from access.scoping import client_staff, user_sees_client
from credit import analysis, selectors, texts
from credit.models import (
    BANDS,
    CreditDecision,
    CreditLimit,
    CreditLimitRequest,
    CreditTierPolicy,
    FinancialStatement,
)
from credit.scores import ScoreSnapshot, bands_dropped, score_for_debtor, scores_for_debtors
from portfolio import validation
from portfolio.imports.readers import TableShape, table_open
from portfolio.models import Client, Debtor
from portfolio.services import debtor_credit_limit_set, money_parse

logger = logging.getLogger(__name__)

Status = CreditLimitRequest.Status
Action = CreditDecision.Action
Tier = CreditLimitRequest.Tier

# The legal moves of a request. Anything else is refused, naming the move.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.DRAFT: frozenset({Status.SUBMITTED}),
    Status.RETURNED: frozenset({Status.SUBMITTED}),
    Status.SUBMITTED: frozenset({Status.IN_REVIEW, Status.APPROVED, Status.REJECTED,
                                 Status.RETURNED}),
    Status.IN_REVIEW: frozenset({Status.APPROVED, Status.REJECTED, Status.RETURNED}),
    Status.APPROVED: frozenset(),
    Status.REJECTED: frozenset(),
}

# Stored in the record (English, like every record text); pages translate it by the action.
CARRY_OVER_TEXT = "Limit in force before Fido kept its approval record; carried over as approved."
REVIEW_BAND_DROP = 2  # DOMAIN "limits are reviewed continuously": two bands worse reopens it
SWEEP_BATCH = 1000  # limits per keyset page in the score-drop sweep (one score query each)


def _move(request: CreditLimitRequest, to: str) -> None:
    if to not in TRANSITIONS.get(request.status, frozenset()):
        raise DomainError(
            _("Request %(id)s is %(label)s: the move %(status)s → %(to)s is not allowed.") % {
                "id": request.pk, "label": str(Status(request.status).label).lower(),
                "status": request.status, "to": to},
            code="illegal_transition", field="status")
    request.status = to


def _lock(request: CreditLimitRequest) -> CreditLimitRequest:
    return (CreditLimitRequest.objects.select_for_update(of=("self",))
            .select_related("debtor", "client", "requested_by").get(pk=request.pk))


def _record(request: CreditLimitRequest, *, action: str, actor: User | None,
            score: ScoreSnapshot | None, comment: str = "",
            override_reason: str = "") -> CreditDecision:
    return CreditDecision.objects.create(
        client_id=request.client_id, request=request, actor=actor, action=action,
        comment=comment, against_recommendation=bool(override_reason),
        override_reason=override_reason,
        figures=selectors.credit_figures(request=request, score=score))


def _add_months(day: dt.date, months: int) -> dt.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return day.replace(year=year, month=month,
                       day=min(day.day, calendar.monthrange(year, month)[1]))


# --- Tiers and the recommendation ----------------------------------------------------------------

def tier_for(*, amount: Decimal, band: str | None, policy: CreditTierPolicy,
             is_review: bool = False, above_recommendation: bool = False) -> int:
    """Tier 1 only up to its ceiling, for an allowed band, and never without a score, for a
    review (a review exists because something changed: a person looks at it) or above the
    recommended limit (going against it needs a person's written reason)."""
    if (not is_review and not above_recommendation and band is not None
            and amount <= policy.tier1_ceiling and band in policy.tier1_bands):
        return Tier.AUTOMATIC
    if amount <= policy.tier2_ceiling:
        return Tier.CREDIT_MANAGER
    return Tier.COMMITTEE


def tier1_rule_text(*, amount: Decimal, currency: str, band: str,
                    policy: CreditTierPolicy) -> str:
    return (f"Tier 1 rule: requested {amount} {currency} ≤ tier 1 ceiling "
            f"{policy.tier1_ceiling} {currency}, and score band {band} is in the automatic "
            f"bands {', '.join(policy.tier1_bands)}.")


def _recommend(request: CreditLimitRequest, score: ScoreSnapshot | None) -> None:
    statements = selectors.debtor_statements(request.debtor, years=1)
    latest = (None if not statements else
              (statements[-1].fiscal_year, selectors.statement_figures(statements[-1])))
    recommendation = analysis.recommend(latest=latest, band=None if score is None else score.band)
    request.recommendation = recommendation
    amount = recommendation["amount"]
    request.recommended_amount = None if amount is None else Decimal(str(amount))


# --- Requests ------------------------------------------------------------------------------------

def _require(user: User, permission: str, message: str, *,
             client_id: int | None = None) -> None:
    """The role's permission, and (defence in depth behind the scoped lookups of views and
    API) membership of the client the row belongs to."""
    if not user.has_perm(permission):
        raise DomainError(message, code="not_permitted")
    if client_id is not None and not user_sees_client(user, client_id):
        raise DomainError(_("That belongs to a client you do not work for."),
                          code="not_permitted")


@transaction.atomic
def credit_request_create(*, debtor: Debtor, amount: Decimal | str, justification: str,
                          by: User) -> CreditLimitRequest:
    """A draft proposal of a new limit (or a change, when one is in force)."""
    _require(by, "credit.add_creditlimitrequest", _("You may not propose credit limits."),
             client_id=debtor.client_id)
    amount = money_parse(amount, field_name="amount")
    if not justification.strip():
        raise DomainError(_("Say why this limit is needed."), code="required",
                          field="justification")
    has_limit = CreditLimit.objects.filter(debtor=debtor,
                                           status=CreditLimit.Status.ACTIVE).exists()
    request = CreditLimitRequest(
        client_id=debtor.client_id, debtor=debtor, amount=amount,
        currency=debtor.client.currency, justification=justification.strip(),
        kind=CreditLimitRequest.Kind.CHANGE if has_limit else CreditLimitRequest.Kind.NEW,
        requested_by=by)
    _recommend(request, score_for_debtor(debtor))
    request.save()
    return request


def _submit(request: CreditLimitRequest, *, actor: User | None,
            action: str = Action.SUBMIT) -> CreditLimitRequest:
    """Shared by a person's submission and a review Fido opens; the request is locked."""
    _move(request, Status.SUBMITTED)
    score = score_for_debtor(request.debtor)
    policy = CreditTierPolicy.for_client(request.client)
    _recommend(request, score)
    request.tier = tier_for(amount=request.amount, band=None if score is None else score.band,
                            policy=policy, is_review=request.kind == CreditLimitRequest.Kind.REVIEW,
                            above_recommendation=request.above_recommendation)
    request.submitted_at = timezone.now()
    request.reminders_sent = 0
    request.save()
    _record(request, action=action, actor=actor, score=score)
    if request.tier == Tier.AUTOMATIC:
        if score is None:  # tier_for gives tier 1 only with a score; never approve without
            raise DomainError(_("No score: tier 1 cannot approve."), code="no_score")
        _move(request, Status.APPROVED)
        request.approved_by_rule = tier1_rule_text(amount=request.amount,
                                                   currency=request.currency, band=score.band,
                                                   policy=policy)
        request.decided_at = timezone.now()
        request.save()
        _record(request, action=Action.AUTO_APPROVE, actor=None, score=score,
                comment=request.approved_by_rule)
        _limit_activate(request, score=score, policy=policy)
    else:
        request_id = request.pk
        transaction.on_commit(lambda: approvers_notify(request_id=request_id))
    return request


@transaction.atomic
def credit_request_submit(*, request: CreditLimitRequest,
                          by: User) -> CreditLimitRequest:
    """Submit a draft or a returned request: tier 1 is decided at once by the rule, higher
    tiers wait for a person and their approvers are e-mailed."""
    request = _lock(request)
    _require(by, "credit.add_creditlimitrequest", _("You may not submit credit requests."),
             client_id=request.client_id)
    return _submit(request, actor=by)


def _decider_check(request: CreditLimitRequest, by: User) -> None:
    if request.requested_by_id is not None and request.requested_by_id == by.pk:
        raise DomainError(_("Nobody decides their own credit request."), code="self_approval")
    if request.tier == Tier.COMMITTEE:
        _require(by, "credit.decide_tier3",
                 _("Tier 3 requests are decided by the credit committee."),
                 client_id=request.client_id)
        if not selectors.is_committee_member(by):
            # An administrator holds every permission, decide_tier3 included, but is not a
            # member of the committee: the quorum is of committee members (DOMAIN "Credit
            # line", tier 3), so the vote is refused rather than recorded and not counted.
            raise DomainError(_("Tier 3 requests are decided by the credit committee: only its "
                                "members vote."), code="not_permitted")
    elif request.tier == Tier.CREDIT_MANAGER:
        _require(by, "credit.decide_tier2", _("Tier 2 requests are decided by a credit manager."),
                 client_id=request.client_id)
    else:
        raise DomainError(_("This request is not waiting for a person."), code="not_permitted")


@transaction.atomic
def credit_request_review_start(*, request: CreditLimitRequest,
                                by: User) -> CreditLimitRequest:
    request = _lock(request)
    _decider_check(request, by)
    _move(request, Status.IN_REVIEW)
    request.save(update_fields=["status", "updated_at"])
    _record(request, action=Action.REVIEW_START, actor=by, score=score_for_debtor(request.debtor))
    return request


def override_reason_check(request: CreditLimitRequest, reason: str) -> str:
    """The written reason an approval above the recommended limit needs; "" when the
    approval follows the recommendation. Refuses a missing one, naming both amounts."""
    reason = reason.strip()
    if not request.above_recommendation:
        return ""
    if not reason:
        raise DomainError(
            _("%(amount)s is above the recommended limit of %(recommended)s: write why you "
              "approve against the recommendation.") % {
                "amount": texts.money(request.amount, request.currency),
                "recommended": texts.money(request.recommended_amount, request.currency)},
            code="override_reason_required", field="override_reason")
    return reason


@transaction.atomic
def credit_request_approve(*, request: CreditLimitRequest, by: User,
                           comment: str = "", override_reason: str = "") -> CreditLimitRequest:
    """A credit manager approves a tier 2 request; a committee member votes on a tier 3 one,
    which is approved when the quorum of distinct members has voted for it. Approving more
    than the recommended limit needs `override_reason`, and the record flags it."""
    request = _lock(request)
    if request.status not in CreditLimitRequest.WAITING_STATUSES:
        _move(request, Status.APPROVED)  # raises, naming the move
    _decider_check(request, by)
    override_reason = override_reason_check(request, override_reason)
    score = score_for_debtor(request.debtor)
    policy = CreditTierPolicy.for_client(request.client)
    if request.tier == Tier.COMMITTEE:
        voters = selectors.committee_voters(request)
        if by.pk in voters:
            raise DomainError(_("You have already voted on this request."), code="already_voted")
        if request.status == Status.SUBMITTED:
            _move(request, Status.IN_REVIEW)
            request.save(update_fields=["status", "updated_at"])
        _record(request, action=Action.VOTE_APPROVE, actor=by, score=score, comment=comment,
                override_reason=override_reason)
        voters.add(by.pk)
        if len(voters) < policy.committee_quorum:
            return request
        comment = (comment + " " if comment else "") + (
            f"Quorum reached: {len(voters)} of {policy.committee_quorum} members.")
    _move(request, Status.APPROVED)
    request.decided_at = timezone.now()
    request.save(update_fields=["status", "decided_at", "updated_at"])
    _record(request, action=Action.APPROVE, actor=by, score=score, comment=comment,
            override_reason=override_reason)
    _limit_activate(request, score=score, policy=policy)
    return request


@transaction.atomic
def credit_request_reject(*, request: CreditLimitRequest, by: User,
                          comment: str) -> CreditLimitRequest:
    """A rejection needs a reason. On the committee one member's rejection closes the request:
    a limit that a member of top management refuses is not granted by the others' votes."""
    return _close(request, by=by, comment=comment, to=Status.REJECTED, action=Action.REJECT)


@transaction.atomic
def credit_request_return(*, request: CreditLimitRequest, by: User,
                          comment: str) -> CreditLimitRequest:
    """Send the request back for information; its author can complete it and resubmit."""
    return _close(request, by=by, comment=comment, to=Status.RETURNED, action=Action.RETURN)


def _close(request: CreditLimitRequest, *, by: User, comment: str, to: str,
           action: str) -> CreditLimitRequest:
    request = _lock(request)
    if request.status not in CreditLimitRequest.WAITING_STATUSES:
        _move(request, to)  # raises, naming the move
    _decider_check(request, by)
    if not comment.strip():
        raise DomainError(_("Say why."), code="required", field="comment")
    _move(request, to)
    request.decided_at = timezone.now() if to == Status.REJECTED else None
    request.save(update_fields=["status", "decided_at", "updated_at"])
    _record(request, action=action, actor=by, score=score_for_debtor(request.debtor),
            comment=comment.strip())
    if to == Status.REJECTED and request.review_of_id is not None:
        _limit_withdraw(request)
    return request


def _carried_limit(debtor: Debtor) -> Decimal:
    # The carry-over reads only debtors with a limit set; a missing one is a bug, not data.
    if debtor.credit_limit is None:
        raise ValueError(f"Debtor {debtor.pk} has no credit limit to carry over.")
    return debtor.credit_limit


def _limit_withdraw(request: CreditLimitRequest) -> None:
    """A rejected review withdraws the limit under review: it expires today and the debtor has
    no limit in force (a new limit is a new request). Without this the review sweep would
    reopen the same review at once, the review date being still past."""
    if request.review_of_id is None:
        return
    Debtor.objects.select_for_update().filter(pk=request.debtor_id).first()
    withdrawn = (CreditLimit.objects
                 .filter(pk=request.review_of_id, status=CreditLimit.Status.ACTIVE)
                 .update(status=CreditLimit.Status.EXPIRED, valid_until=timezone.localdate()))
    if withdrawn:
        debtor_credit_limit_set(debtor=request.debtor, amount=None)


def _limit_activate(request: CreditLimitRequest, *, score: ScoreSnapshot | None,
                    policy: CreditTierPolicy) -> CreditLimit:
    """Supersede the limit in force and put the approved one in its place, mirrored on the
    debtor, all inside the approval's transaction. The debtor row is locked first so two
    approvals for one debtor queue instead of both superseding the same limit."""
    Debtor.objects.select_for_update().filter(pk=request.debtor_id).first()
    today = timezone.localdate()
    (CreditLimit.objects.filter(debtor_id=request.debtor_id, status=CreditLimit.Status.ACTIVE)
     .update(status=CreditLimit.Status.SUPERSEDED, valid_until=today))
    limit = CreditLimit.objects.create(
        client_id=request.client_id, debtor_id=request.debtor_id, amount=request.amount,
        currency=request.currency, valid_from=today,
        review_date=_add_months(today, policy.review_months), request=request,
        approved_score_band="" if score is None else score.band)
    debtor_credit_limit_set(debtor=request.debtor, amount=request.amount)
    return limit


CARRY_OVER_BATCH = 1000


def credit_limits_carry_over(*, client_ids: Iterable[int] | None = None) -> int:
    """Give every debtor whose Debtor.credit_limit was set outside credit (a portfolio loaded
    with limits already agreed, the demo) an active CreditLimit of that amount, with an approved
    request and a `carry_over` decision in the record, so that the debtor's header and its
    credit page read the same limit. Idempotent: debtors with an active limit are skipped.
    Set-based, in keyset batches, one transaction per batch. Returns the limits created."""
    today = timezone.localdate()
    now = timezone.now()
    debtors = (Debtor.objects.filter(credit_limit__isnull=False)
               .exclude(credit_limits__status=CreditLimit.Status.ACTIVE)
               .select_related("client").order_by("pk"))
    if client_ids is not None:
        debtors = debtors.filter(client_id__in=list(client_ids))
    policies = {policy.client_id: policy for policy in CreditTierPolicy.objects.all()}
    created = last_id = 0
    while True:
        with transaction.atomic():
            batch = list(debtors.filter(pk__gt=last_id).select_for_update(of=("self",))
                         [:CARRY_OVER_BATCH])
            if not batch:
                return created
            last_id = batch[-1].pk
            requests = CreditLimitRequest.objects.bulk_create([
                CreditLimitRequest(
                    client_id=debtor.client_id, debtor=debtor, kind=CreditLimitRequest.Kind.NEW,
                    amount=_carried_limit(debtor), currency=debtor.client.currency,
                    justification=CARRY_OVER_TEXT, status=Status.APPROVED,
                    approved_by_rule=CARRY_OVER_TEXT, submitted_at=now, decided_at=now)
                for debtor in batch])
            utilisations = selectors.credit_utilisation_for_debtors(
                debtor.pk for debtor in batch)
            CreditDecision.objects.bulk_create([
                CreditDecision(client_id=request.client_id, request=request,
                               action=Action.CARRY_OVER, comment=CARRY_OVER_TEXT,
                               figures=selectors.carry_over_figures(
                                   request=request,
                                   utilisation=utilisations.get(request.debtor_id)))
                for request in requests])
            CreditLimit.objects.bulk_create([
                CreditLimit(
                    client_id=request.client_id, debtor_id=request.debtor_id,
                    amount=request.amount, currency=request.currency, valid_from=today,
                    review_date=_add_months(today, (
                        policies[request.client_id].review_months
                        if request.client_id in policies
                        else CreditTierPolicy.DEFAULTS["review_months"])),
                    request=request)
                for request in requests])
            created += len(requests)


# --- Notifications and reminders -----------------------------------------------------------------

def approvers_for(request: CreditLimitRequest) -> list[Any]:
    """Active users of the request's client who may decide its tier, the author excepted."""
    role = Role.CREDIT_COMMITTEE if request.tier == Tier.COMMITTEE else Role.CREDIT_MANAGER
    users = client_staff(request.client_id, roles=[role]).exclude(email="").order_by("pk")
    if request.requested_by_id is not None:
        users = users.exclude(pk=request.requested_by_id)
    if request.tier == Tier.COMMITTEE:
        users = users.exclude(pk__in=selectors.committee_voters(request, members_only=False))
    return list(users)


def _mail(request: CreditLimitRequest, *, subject: str, intro: str) -> int:
    path = reverse("credit:request_detail", args=[request.pk])
    body = (f"{intro}\n\nDebtor: {request.debtor.name}\nRequested limit: {request.amount} "
            f"{request.currency}\nTier: {request.tier}\nJustification: {request.justification}"
            f"\n\n{path}\n")
    messages = [(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
                for user in approvers_for(request)]
    return send_mass_mail(messages, fail_silently=False) if messages else 0


def approvers_notify(*, request_id: int) -> int:
    """E-mail the approvers of a request that has started waiting. Runs after commit."""
    request = (CreditLimitRequest.objects.select_related("debtor", "client")
               .filter(pk=request_id, status__in=CreditLimitRequest.WAITING_STATUSES).first())
    if request is None:
        return 0
    try:
        return _mail(request, subject=f"Credit request waiting: {request.debtor.name}",
                     intro="A credit limit request is waiting for your decision.")
    except OSError:
        # The request is committed; a mail server outage must not turn the submission into
        # an error page. The reminder beat mails the approvers again after the service time.
        logger.exception("credit: approvers of request %s not notified", request_id)
        return 0


def credit_reminders_send(*, now: dt.datetime | None = None) -> int:
    """Remind approvers of requests waiting longer than their client's service time: once per
    whole service-time period. Claim first (a conditional update that must change one row),
    mail after commit, so a second run or a second beat sends nothing twice."""
    now = now or timezone.now()
    policies = {policy.client_id: policy for policy in CreditTierPolicy.objects.all()}
    sent = 0
    waiting = (CreditLimitRequest.objects
               .filter(status__in=CreditLimitRequest.WAITING_STATUSES, submitted_at__lt=now)
               .select_related("debtor", "client").order_by("submitted_at"))
    for request in waiting.iterator(chunk_size=500):
        policy = policies.get(request.client_id)
        hours = policy.service_time_hours if policy else CreditTierPolicy.DEFAULTS[
            "service_time_hours"]
        if request.submitted_at is None:
            continue
        period = int((now - request.submitted_at) / dt.timedelta(hours=hours))
        if period <= request.reminders_sent:
            continue
        with transaction.atomic():
            claimed = CreditLimitRequest.objects.filter(
                pk=request.pk, reminders_sent=request.reminders_sent,
                status__in=CreditLimitRequest.WAITING_STATUSES,
            ).update(reminders_sent=period)
        if claimed != 1:
            continue
        waited = now - request.submitted_at
        try:
            sent += _mail(request, subject=f"Reminder: credit request waiting for "
                                           f"{waited.days}d {waited.seconds // 3600}h",
                          intro=f"This request has waited longer than the service time of "
                                f"{hours} hours.")
        except OSError:
            # The period is claimed: the next period's reminder is the retry. One unreachable
            # mail server must not stop the sweep for every other request.
            logger.exception("credit: reminder for request %s not sent", request.pk)
    return sent


# --- Reviews -------------------------------------------------------------------------------------

REVIEW_TEXT = {
    CreditLimitRequest.ReviewReason.REVIEW_DATE: "Review date {date} reached.",
    CreditLimitRequest.ReviewReason.SCORE_DROP:
        "Score dropped from band {old} at approval to band {new}.",
}


def _review_open(limit: CreditLimit, *, reason: str, text: str) -> CreditLimitRequest | None:
    """Open a review of `limit`, or return None when one is already open (the partial unique
    constraint decides, so a concurrent run cannot open a second)."""
    try:
        with transaction.atomic():
            request = CreditLimitRequest.objects.create(
                client_id=limit.client_id, debtor_id=limit.debtor_id,
                kind=CreditLimitRequest.Kind.REVIEW, amount=limit.amount,
                currency=limit.currency, justification=text, review_of=limit,
                review_reason=reason)
            request = _lock(request)
            _submit(request, actor=None, action=Action.REVIEW_OPEN)
    except IntegrityError:
        return None
    return request


def _no_open_review() -> Any:
    return ~Exists(CreditLimitRequest.objects.filter(
        review_of=OuterRef("pk"), status__in=CreditLimitRequest.OPEN_STATUSES))


def credit_reviews_open(*, today: dt.date | None = None) -> list[CreditLimitRequest]:
    """Open a review for each active limit whose review date has come, and for each whose
    debtor's latest score is two bands or more worse than at approval. Idempotent."""
    today = today or timezone.localdate()
    opened = []
    due = (CreditLimit.objects.filter(status=CreditLimit.Status.ACTIVE, review_date__lte=today)
           .filter(_no_open_review()).order_by("review_date", "id"))
    for limit in due.iterator(chunk_size=500):
        request = _review_open(
            limit, reason=CreditLimitRequest.ReviewReason.REVIEW_DATE,
            text=REVIEW_TEXT[CreditLimitRequest.ReviewReason.REVIEW_DATE].format(
                date=limit.review_date))
        if request is not None:
            opened.append(request)
    last_id = 0
    while True:
        batch = list(CreditLimit.objects.filter(status=CreditLimit.Status.ACTIVE, pk__gt=last_id)
                     .exclude(approved_score_band="").filter(_no_open_review())
                     .order_by("pk")[:SWEEP_BATCH])
        if not batch:
            break
        last_id = batch[-1].pk
        scores = scores_for_debtors(limit.debtor_id for limit in batch)
        for limit in batch:
            score = scores.get(limit.debtor_id)
            if (score is None or limit.approved_score_band not in BANDS
                    or bands_dropped(from_band=limit.approved_score_band, to_band=score.band)
                    < REVIEW_BAND_DROP):
                continue
            request = _review_open(
                limit, reason=CreditLimitRequest.ReviewReason.SCORE_DROP,
                text=REVIEW_TEXT[CreditLimitRequest.ReviewReason.SCORE_DROP].format(
                    old=limit.approved_score_band, new=score.band))
            if request is not None:
                opened.append(request)
    return opened


# --- Financial statements ------------------------------------------------------------------------

def _figure_parse(value: object, *, name: str) -> Decimal:
    may_be_negative = FinancialStatement.FIGURES[name]
    text = str(value if value is not None else "").strip().replace(" ", "")
    if text == "":
        raise DomainError(_("%(name)s is empty.") % {"name": name}, code="required", field=name)
    if "," in text and "." not in text:
        text = text.replace(",", ".")  # Italian decimal comma
    # The amount rules every write shares (plain decimal, two decimals, below 10^12).
    return validation.money_parse(text, field=name, allow_negative=may_be_negative)


def _year_parse(value: object) -> int:
    try:
        year = int(str(value).strip().split(".")[0])
    except ValueError:
        raise DomainError(_("fiscal_year %(value)r is not a year.") % {"value": value},
                          code="bad_year", field="fiscal_year") from None
    if not 1900 <= year <= timezone.localdate().year:
        raise DomainError(_("fiscal_year %(year)s is not a plausible closed year.") % {
            "year": year}, code="bad_year", field="fiscal_year")
    return year


def statement_flags_refresh(*, debtor_ids: Iterable[int]) -> None:
    """Recompute the flags of the debtors' statements: a missing year depends on the others."""
    statements = list(FinancialStatement.objects.filter(debtor_id__in=list(debtor_ids))
                      .order_by("debtor_id", "fiscal_year"))
    years: dict[int, set[int]] = {}
    for statement in statements:
        years.setdefault(statement.debtor_id, set()).add(statement.fiscal_year)
    for statement in statements:
        on_file = years[statement.debtor_id]
        statement.flags = analysis.statement_flags(
            selectors.statement_figures(statement), fiscal_year=statement.fiscal_year,
            years_on_file=on_file, is_latest=statement.fiscal_year == max(on_file))
    FinancialStatement.objects.bulk_update(statements, ["flags"], batch_size=500)


@transaction.atomic
def financial_statement_save(*, debtor: Debtor, fiscal_year: object, figures: Mapping[str, object],
                             by: User | None,
                             source: str = FinancialStatement.Source.FORM) -> FinancialStatement:
    """Create or replace one fiscal year of a debtor's statements; flags are recomputed."""
    if by is not None:
        _require(by, "credit.add_financialstatement", _("You may not enter financial statements."),
                 client_id=debtor.client_id)
    year = _year_parse(fiscal_year)
    values = {name: _figure_parse(figures.get(name), name=name)
              for name in FinancialStatement.FIGURES}
    statement, _created = FinancialStatement.objects.update_or_create(
        debtor=debtor, fiscal_year=year,
        defaults={**values, "client_id": debtor.client_id, "source": source, "entered_by": by})
    statement_flags_refresh(debtor_ids=[debtor.pk])
    statement.refresh_from_db()
    return statement


IMPORT_COLUMNS = ("debtor", "fiscal_year", *FinancialStatement.FIGURES)


class StatementImportError(DomainError):
    """Nothing was imported; `errors` lists every bad cell as {line, column, message}."""

    def __init__(self, errors: list[dict[str, object]]) -> None:
        first = errors[0]
        super().__init__(_("%(count)s error(s); nothing was imported. First: line %(line)s, "
                           "%(column)s: %(message)s") % {
                             "count": len(errors), "line": first["line"],
                             "column": first["column"], "message": first["message"]},
                         code="import_rejected")
        self.errors = errors


# A workbook with several sheets is read when one of them is named so.
STATEMENT_SHAPE = TableShape.of("statements", IMPORT_COLUMNS)


def _rows_from_file(content: bytes) -> list[dict[str, object]]:
    """The file's rows as {column: text}, with "_line" the row's line (or spreadsheet row).

    Read by the ledger import's readers: CSV UTF-8 with commas or semicolons, or XLSX; every
    column named once; file-level problems raise DomainError(field="file")."""
    stream = table_open(io.BytesIO(content), shape=STATEMENT_SHAPE)
    return [
        {"_line": line, **{column: (values[index] if index < len(values) else "")
                           for column, index in stream.positions.items()}}
        for line, values in stream.rows
    ]


@transaction.atomic
def financial_statements_import(*, client: Client, name: str, content: bytes,
                                by: User) -> list[FinancialStatement]:
    """Import one row per debtor and fiscal year, all or nothing: a file with any bad row
    raises StatementImportError listing every bad cell by line, and stores nothing."""
    _require(by, "credit.add_financialstatement", _("You may not import financial statements."),
             client_id=client.pk)
    rows = _rows_from_file(content)
    debtors = {debtor.external_ref: debtor for debtor in Debtor.objects.filter(
        client=client, external_ref__in=[str(row["debtor"] or "").strip() for row in rows])}
    errors: list[dict[str, object]] = []
    parsed: list[tuple[Debtor, int, dict[str, Decimal]]] = []
    seen: dict[tuple[str, int], int] = {}
    for row in rows:
        line = row["_line"]
        ref = str(row["debtor"] or "").strip()
        debtor = debtors.get(ref)
        if debtor is None:
            errors.append({"line": line, "column": "debtor",
                           "message": _("no debtor with customer code %(ref)r for this client")
                           % {"ref": ref}})
        values: dict[str, Decimal] = {}
        year = None
        try:
            year = _year_parse(row["fiscal_year"])
        except DomainError as error:
            errors.append({"line": line, "column": "fiscal_year", "message": error.message})
        for column in FinancialStatement.FIGURES:
            try:
                values[column] = _figure_parse(row[column], name=column)
            except DomainError as error:
                errors.append({"line": line, "column": column, "message": error.message})
        if year is not None and ref:
            if (ref, year) in seen:
                errors.append({"line": line, "column": "fiscal_year",
                               "message": _("%(ref)s %(year)s already on line %(line)s") % {
                                   "ref": ref, "year": year, "line": seen[(ref, year)]}})
            seen[(ref, year)] = int(line)  # type: ignore[call-overload]
        if debtor is not None and year is not None:
            parsed.append((debtor, year, values))
    if errors:
        raise StatementImportError(errors)
    if not parsed:
        raise DomainError(_("%(name)s has no rows.") % {"name": name}, code="bad_file")
    statements = []
    for debtor, year, values in parsed:
        statement, _created = FinancialStatement.objects.update_or_create(
            debtor=debtor, fiscal_year=year,
            defaults={**values, "client_id": client.pk,
                      "source": FinancialStatement.Source.IMPORT, "entered_by": by})
        statements.append(statement)
    statement_flags_refresh(debtor_ids={debtor.pk for debtor, _y, _v in parsed})
    return statements
