"""The tenant walk: every URL pattern, as every role of client A and as an outsider of client B,
must never show the other client's data.

How it works:
- One data set per module (`world`): two clients whose every row carries an unmistakable marker
  (`SECRET-A…` / `SECRET-B…` names, customer codes, invoice numbers, VAT numbers, e-mails, and
  amounts no other row has). Primary keys are chosen from two disjoint ranges, so an id in a URL
  is either client A's or client B's, never both.
- The URL patterns come from `django.urls.get_resolver()`, walked recursively (the admin, the
  `/api/v1/` router, the schema and docs included): a new page or endpoint is walked without
  anyone listing it here. Each URL keyword is filled with every value that fits its regex, taken
  from the primary keys and natural keys of every tenant-owned model of both clients.
- Kwarg-less routes (lists) are also asked with `?client=`, `?debtor=`, `?q=` … naming the
  other client's objects.
- A response leaks when its body holds any marker of the other client (after removing the echo
  of the requested URL itself). A URL naming only the other client's objects must answer
  302/401/403/404/405, never 200.
"""

from __future__ import annotations

import datetime as dt
import html
import itertools
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import cast
from urllib.parse import quote, urlencode

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group
from django.db import models, transaction
from django.http import StreamingHttpResponse
from django.test import Client as HttpClient
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404
from django.utils.regex_helper import normalize

from access.api import TenantScopedViewSet
from access.models import AuditEvent, ClientUser, Membership
from access.roles import Role
from caring.models import CaringAssignment, CaringTask, CourtesyCallInvoice, PlanRun
from compliance.models import (
    ClientContactRule,
    ContactAttempt,
    ContactDecision,
    ContactHold,
    ContactOverride,
    ContactRestriction,
)
from credit.models import CreditDecision, CreditLimit, CreditLimitRequest
from portfolio.models import (
    Client,
    CreditNote,
    ImportJob,
    Payment,
    PaymentAllocation,
    PaymentReversal,
)
from tests.caring.factories import CaringPolicyFactory, CourtesyCallFactory
from tests.credit.factories import CreditTierPolicyFactory, FinancialStatementFactory
from tests.factories import (
    ClientFactory,
    ContactPointFactory,
    DebtorFactory,
    InvoiceFactory,
    PaymentFactory,
    UserFactory,
)
from tests.scoring.factories import DebtorScoreFactory, ScoringModelFactory

# Routes that cannot be walked with GET and guessed values, each with the reason.
NOT_WALKABLE = {
    # Needs a signed token for one user; a guessed token is refused before any lookup.
    "password_reset_confirm": "needs a signed, single-use token",
}

# API viewsets registered in config/api_router.py that may serve rows without tenant scoping.
UNSCOPED_VIEWSETS_ALLOWED: dict[str, str] = {}

# Status codes that reveal nothing about an object: redirect to login, refused, not found,
# GET not allowed.
REFUSALS = {302, 401, 403, 404, 405}

# Ids of each client's rows come from disjoint ranges, so a URL naming id N names one client.
ID_BASE = {"A": 8_100_000, "B": 9_100_000}

# Amounts only one client has (and their totals): a leak of a figure shows up as well as a name.
AMOUNTS = {
    "A": [Decimal("31234.56"), Decimal("32345.67"), Decimal("33456.78")],
    "B": [Decimal("71234.17"), Decimal("72345.28"), Decimal("73456.39")],
}
ALLOCATED = {"A": Decimal("311.11"), "B": Decimal("711.17")}
PAYMENTS = {"A": Decimal("3311.11"), "B": Decimal("7711.17")}
PHONES = {"A": "+390299887766", "B": "+41446681800"}
LIMITS = {"A": Decimal("35791.13"), "B": Decimal("75791.19")}  # a credit limit and its request
CURRENCY = {"A": "EUR", "B": "CHF"}  # two currencies: totals are never summed across them


def _renderings(amount: Decimal) -> set[str]:
    """The ways a page or the API may print an amount (JSON, English and Italian grouping)."""
    plain = f"{amount:.2f}"
    grouped = f"{amount:,.2f}"
    return {plain, grouped, plain.replace(".", ","),
            grouped.replace(",", "_").replace(".", ",").replace("_", ".")}


@dataclass
class Side:
    """One client's data and what would give it away."""

    letter: str
    client: Client
    markers: set[str] = field(default_factory=set)
    ids: set[str] = field(default_factory=set)  # primary keys of its tenant-owned rows
    natural_keys: set[str] = field(default_factory=set)  # codes a route could look rows up by
    filters: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class World:
    sides: dict[str, Side]
    users: dict[str, object]
    words: list[str]  # values of keyword-like URL parts: app labels


def _build_side(letter: str, staff: list) -> Side:
    tag = f"SECRET-{letter}"
    base = ID_BASE[letter]
    client = ClientFactory(id=base + 1, name=f"{tag} Client S.p.A.", vat_number=f"{tag}-VAT",
                           currency=CURRENCY[letter])
    debtors = [
        DebtorFactory(id=base + n, client=client, external_ref=f"{tag}-CUST-{n}",
                      name=f"{tag} Debtor {n} S.r.l.", vat_number=f"{tag}-DVAT-{n}",
                      tax_code=f"{tag}-TAX-{n}", city=f"{tag}-City", sector=f"{tag}-Sector",
                      address_line=f"{tag} Street {n}", postal_code="20100")
        for n in (1, 2)
    ]
    ContactPointFactory(id=base + 1, debtor=debtors[0], client=client, value=PHONES[letter])
    ContactPointFactory(id=base + 2, debtor=debtors[1], client=client, channel="email",
                        value=f"{tag.lower()}-debtor@example.invalid", label=f"{tag}-work")
    amounts = AMOUNTS[letter]
    invoices = [
        InvoiceFactory(id=base + n + 1, debtor=debtors[n % 2], client=client,
                       number=f"{tag}-INV-{n + 1}", amount=amount, open_balance=amount,
                       status="open")
        for n, amount in enumerate(amounts)
    ]
    # Invoice 2 partly paid by payment 1; invoice 3 disputed with a credit note.
    paid = ALLOCATED[letter]
    payment = PaymentFactory(id=base + 1, debtor=invoices[1].debtor, client=client,
                             external_ref=f"{tag}-PAY-1", amount=paid, unallocated_amount=0,
                             invoice_reference=invoices[1].number)
    PaymentFactory(id=base + 2, debtor=debtors[0], client=client, external_ref=f"{tag}-PAY-2",
                   amount=PAYMENTS[letter], unallocated_amount=PAYMENTS[letter])
    PaymentAllocation.objects.create(id=base + 1, client=client, payment=payment,
                                     invoice=invoices[1], amount=paid)
    # Payment 3 bounced: reversed whole.
    bounced = cast(Payment, PaymentFactory(id=base + 3, debtor=debtors[0], client=client,
                                           external_ref=f"{tag}-PAY-3", amount=PAYMENTS[letter],
                                           unallocated_amount=0))
    PaymentReversal.objects.create(id=base + 1, client_id=bounced.client_id, payment=bounced,
                                   amount=bounced.amount, currency=bounced.currency,
                                   booked_on=bounced.value_date, reason="bounced",
                                   note=f"{tag} reversal note")
    invoices[1].open_balance = amounts[1] - paid
    invoices[1].status = "partially_paid"
    invoices[1].save()
    invoices[2].status = "disputed"
    invoices[2].save()
    CreditNote.objects.create(id=base + 1, client=client, invoice=invoices[2],
                              number=f"{tag}-CN-1", amount=Decimal("10.00"),
                              issue_date=invoices[2].issue_date, reason=f"{tag} reason")
    ImportJob.objects.create(id=base + 1, client=client, kind="debtors",
                             file=f"imports/{tag}.csv", original_name=f"{tag}-import.csv",
                             file_sha256="0" * 64, message=f"{tag} import message")
    for n, user in enumerate(staff, start=1):
        Membership.objects.create(id=base + n, user=user, client=client)
    AuditEvent.objects.create(id=base + 1, client=client, actor=staff[0],
                              actor_name=staff[0].username, action="debtor.export",
                              object_type="portfolio.debtor", object_id=str(debtors[0].pk),
                              detail={"note": f"{tag} audit detail"})
    _build_credit(letter, client, debtors, staff)
    _build_scoring(letter, client, debtors)
    _build_compliance(letter, client, debtors, staff)
    _build_caring(letter, client, invoices, staff)
    _build_recovery(letter, client, invoices, staff)
    _build_experience(letter, client, staff)

    side = Side(letter=letter, client=client)
    side.markers = {tag, tag.lower(), PHONES[letter]}
    figures = [*amounts, paid, PAYMENTS[letter], LIMITS[letter],
               amounts[0] + amounts[2], amounts[1] - paid,  # debtor 1, debtor 2 balances
               sum(amounts) - paid]  # the client's total
    for figure in figures:
        side.markers |= _renderings(figure)
    side.filters = {
        "client": [str(client.pk)],
        "debtor": [str(d.pk) for d in debtors],
        "invoice": [str(i.pk) for i in invoices],
        "payment": [str(payment.pk), str(bounced.pk)],
    }
    return side


WHEN = dt.datetime(2026, 3, 2, 10, 30, tzinfo=dt.UTC)
ANSWERED_AT = WHEN + dt.timedelta(hours=3)  # the seeded survey's answer


def _build_credit(letter: str, client: Client, debtors: list, staff: list) -> None:
    """Tier policy, statements, a decided request with its limit and record, an open request."""
    tag = f"SECRET-{letter}"
    base = ID_BASE[letter]
    currency = CURRENCY[letter]
    CreditTierPolicyFactory(id=base + 1, client=client)
    for n, debtor in enumerate(debtors, start=1):
        FinancialStatementFactory(id=base + n, debtor=debtor, client=client)
    approved = CreditLimitRequest.objects.create(
        id=base + 1, client=client, debtor=debtors[0], amount=LIMITS[letter], currency=currency,
        justification=f"{tag} justification", status=CreditLimitRequest.Status.APPROVED,
        tier=CreditLimitRequest.Tier.CREDIT_MANAGER, requested_by=staff[0], submitted_at=WHEN,
        decided_at=WHEN + dt.timedelta(hours=2))
    waiting = CreditLimitRequest.objects.create(
        id=base + 2, client=client, debtor=debtors[1], amount=LIMITS[letter], currency=currency,
        justification=f"{tag} pending justification", status=CreditLimitRequest.Status.SUBMITTED,
        tier=CreditLimitRequest.Tier.COMMITTEE, requested_by=staff[0], submitted_at=WHEN)
    CreditLimit.objects.create(
        id=base + 1, client=client, debtor=debtors[0], amount=LIMITS[letter], currency=currency,
        valid_from=WHEN.date(), review_date=WHEN.date() + dt.timedelta(days=365),
        request=approved, approved_score_band="B")
    debtors[0].credit_limit = LIMITS[letter]
    debtors[0].save(update_fields=["credit_limit"])
    for n, (request, action) in enumerate(
            [(approved, CreditDecision.Action.SUBMIT), (approved, CreditDecision.Action.APPROVE),
             (waiting, CreditDecision.Action.SUBMIT)], start=1):
        CreditDecision.objects.create(id=base + n, client=client, request=request,
                                      actor=staff[-1], action=action,
                                      comment=f"{tag} decision comment {n}",
                                      figures={"amount": str(LIMITS[letter])})


def _build_scoring(letter: str, client: Client, debtors: list) -> None:
    tag = f"SECRET-{letter}"
    base = ID_BASE[letter]
    model = ScoringModelFactory(id=base + 1, client=client, version=1,
                                artifact_path=f"scoring/{tag}-model.skops")
    for n, debtor in enumerate(debtors, start=1):
        DebtorScoreFactory(id=base + n, debtor=debtor, client=client, model=model,
                           reasons=[{"code": "late_share", "text": f"{tag} score reason {n}",
                                     "impact": -12}])


def _build_compliance(letter: str, client: Client, debtors: list, staff: list) -> None:
    """A contract rule, a hold, a restriction, an attempt, a denial and an override request."""
    tag = f"SECRET-{letter}"
    base = ID_BASE[letter]
    phone = PHONES[letter]
    ClientContactRule.objects.create(id=base + 1, client=client, country="IT",
                                     parameter="conversations_per_day", value=1,
                                     note=f"{tag} contract clause")
    ContactHold.objects.create(id=base + 1, client=client, debtor=debtors[1], kind="dispute",
                               reason=f"{tag} hold reason", starts_at=WHEN, created_by=staff[0])
    ContactRestriction.objects.create(id=base + 1, client=client, debtor=debtors[0],
                                      kind="inconvenient_place", place=f"{tag}-work",
                                      note=f"{tag} restriction note", created_at=WHEN,
                                      created_by=staff[0])
    ContactAttempt.objects.create(id=base + 1, client=client, debtor=debtors[0], channel="call",
                                  destination=phone, started_at=WHEN, result="no_answer",
                                  connected=True, conversation=False, debt_ref=f"{tag}-DEBT",
                                  agent=staff[0])
    decision = ContactDecision.objects.create(
        id=base + 1, client=client, debtor=debtors[0], channel="call", destination=phone,
        decided_at=WHEN, allowed=False, rule_ids=["conversations_per_day"],
        reason=f"{tag} decision reason", overridable=True, pack_code="IT", pack_version=1,
        actor=staff[0])
    ContactOverride.objects.create(id=base + 1, client=client, debtor=debtors[0],
                                   decision=decision, channel="call", destination=phone,
                                   reason=f"{tag} override reason", requested_by=staff[0],
                                   requested_at=WHEN)


def _build_caring(letter: str, client: Client, invoices: list, staff: list) -> None:
    """A policy, an invoice in the called group, its courtesy call and a follow-up task."""
    tag = f"SECRET-{letter}"
    base = ID_BASE[letter]
    invoice = invoices[0]
    policy = CaringPolicyFactory(id=base + 1, client=client)
    CaringAssignment.objects.create(id=base + 1, client=client, policy=policy, invoice=invoice,
                                    debtor=invoice.debtor, window_date=WHEN.date(), bucket=4242,
                                    in_control=False)
    call = CourtesyCallFactory(id=base + 1, client=client, policy=policy, debtor=invoice.debtor,
                               window_date=WHEN.date(), first_due_date=invoice.due_date,
                               amount=invoice.amount, scheduled_at=WHEN,
                               destination=PHONES[letter], note=f"{tag} call note",
                               schedule_reason=f"{tag} schedule reason")
    CourtesyCallInvoice.objects.create(id=base + 1, client=client, call=call, invoice=invoice,
                                       linked_on=WHEN.date())
    CaringTask.objects.create(id=base + 1, client=client, call=call, invoice=invoice,
                              kind=CaringTask.Kind.RESEND, note=f"{tag} task note",
                              created_by=staff[0])
    PlanRun.objects.create(id=base + 1, client=client, run_date=WHEN.date(),
                           status=PlanRun.Status.DONE, requested_by=staff[0],
                           message=f"{tag} run message")


def _build_recovery(letter: str, client: Client, invoices: list, staff: list) -> None:
    """An open case with its stage change, a contact, a callback, a promise, a plan with an
    instalment and a dispute on the disputed invoice."""
    from recovery.models import (
        Callback,
        CaseStageChange,
        CollectionCase,
        CollectionContact,
        Dispute,
        DisputedInvoice,
        Instalment,
        PaymentPlan,
        PromiseToPay,
    )

    tag = f"SECRET-{letter}"
    base = ID_BASE[letter]
    invoice = invoices[0]
    debtor = invoice.debtor
    currency = CURRENCY[letter]
    case = CollectionCase.objects.create(
        id=base + 1, client=client, debtor=debtor, opened_at=WHEN, stage="second_level",
        overdue_amount=invoice.amount, oldest_due_date=invoice.due_date, currency=currency,
        priority=Decimal("1234.5"), strategy="empathetic", language="it", segment="business",
        priority_reasons=[{"code": "expected_loss", "label": f"{tag} priority reason",
                           "value": "1234.5"}], next_action_reason=f"{tag} next action")
    CaseStageChange.objects.create(id=base + 1, client=client, case=case,
                                   from_stage="first_level", to_stage="second_level",
                                   changed_by=staff[0], reason=f"{tag} stage reason")
    contact = CollectionContact.objects.create(
        id=base + 1, client=client, debtor=debtor, case=case, destination=PHONES[letter],
        attempt_result="answered", party="right_party_verified",
        outcomes=["promise_to_pay", "callback_requested"],
        reason_for_non_payment="cash_flow_timing", notes=f"{tag} contact notes", agent=staff[0],
        opened_at=WHEN, saved_at=WHEN + dt.timedelta(minutes=4), handle_seconds=240)
    Callback.objects.create(id=base + 1, client=client, case=case, agent=staff[0],
                            due_at=WHEN + dt.timedelta(days=1), consent_given_at=WHEN,
                            contact=contact)
    PromiseToPay.objects.create(id=base + 1, client=client, debtor=debtor, case=case,
                                amount=invoice.amount, currency=currency,
                                promised_date=WHEN.date() + dt.timedelta(days=7),
                                created_by=staff[0], contact=contact, created_at=WHEN)
    plan = PaymentPlan.objects.create(id=base + 1, client=client, debtor=debtor, case=case,
                                      total=invoice.amount, currency=currency,
                                      note=f"{tag} plan note", created_by=staff[0])
    Instalment.objects.create(id=base + 1, client=client, plan=plan, number=1,
                              due_date=WHEN.date() + dt.timedelta(days=30), amount=invoice.amount)
    disputed = invoices[2]
    dispute = Dispute.objects.create(id=base + 1, client=client, debtor=disputed.debtor,
                                     case=case, reason="not_received",
                                     detail=f"{tag} dispute detail", opened_by=staff[0],
                                     opened_at=WHEN, contact=contact)
    DisputedInvoice.objects.create(id=base + 1, client=client, dispute=dispute,
                                   invoice=disputed, amount=disputed.open_balance)
    from recovery.plan_models import PlanPolicy

    PlanPolicy.objects.create(client=client, approval_threshold=Decimal("4321.00"))


def _build_experience(letter: str, client: Client, staff: list) -> None:
    """A transactional programme, a survey answered after the contact, its answer with a
    comment, the follow-up it opened, and an imported competitive answer."""
    from experience.models import FollowUp, Programme, Response, Survey
    from recovery.models import CollectionContact

    tag = f"SECRET-{letter}"
    base = ID_BASE[letter]
    contact = CollectionContact.objects.get(id=base + 1)
    programme = Programme.objects.create(id=base + 1, client=client, kind="transactional")
    survey = Survey.objects.create(
        id=base + 1, client=client, programme=programme, debtor=contact.debtor,
        kind="transactional", trigger="collection_contact", case=contact.case, contact=contact,
        agent=staff[0], strategy="empathetic", status="answered", due_at=WHEN,
        medium="sms", destination=PHONES[letter], sent_at=WHEN,
        expires_at=WHEN + dt.timedelta(days=14), answered_at=ANSWERED_AT)
    answer = Response.objects.create(
        id=base + 1, client=client, kind="transactional", survey=survey, debtor=contact.debtor,
        nps=3, comment=f"{tag} survey comment", complaint=True, language="it",
        answered_at=ANSWERED_AT, trigger=survey.trigger, case=contact.case,
        agent=staff[0], strategy="empathetic")
    FollowUp.objects.create(id=base + 1, client=client, response=answer, debtor=contact.debtor,
                            assigned_to=staff[0], reason="detractor",
                            due_at=WHEN + dt.timedelta(days=2), notes=f"{tag} follow-up notes")
    Response.objects.create(id=base + 2, client=client, kind="competitive", nps=8,
                            comment=f"{tag} market comment", answered_at=WHEN,
                            trigger="market_study", source=f"{tag} study", source_ref="R1")


def _tenant_models() -> list[tuple[type[models.Model], str]]:
    """Every model that belongs to a client, with the lookup path to the client."""
    found: list[tuple[type[models.Model], str]] = []
    for model in apps.get_models():
        if model is Client:
            found.append((model, "pk"))
            continue
        for each in model._meta.get_fields():
            if (isinstance(each, models.ForeignKey) and each.related_model is Client):
                found.append((model, f"{each.name}_id"))
                break
    return found


def _collect_keys(side: Side) -> None:
    """Primary keys and natural keys of every tenant-owned row of the side's client."""
    for model, path in _tenant_models():
        rows = model._default_manager.filter(**{path: side.client.pk})
        side.ids |= {str(pk) for pk in rows.values_list("pk", flat=True)}
        unique_fields = {
            name
            for constraint in model._meta.constraints
            if isinstance(constraint, models.UniqueConstraint)
            for name in constraint.fields
        }
        for name in unique_fields:
            model_field = model._meta.get_field(name)
            if isinstance(model_field, models.CharField):
                side.natural_keys |= {value for value in rows.values_list(name, flat=True)
                                      if value and re.fullmatch(r"[\w.-]+", value)}


def _build_world() -> World:
    def viewer(letter: str):
        return UserFactory(id=ID_BASE[letter] + 21, username=f"walk_viewer_{letter.lower()}",
                           first_name=f"SECRET-{letter}-viewer",
                           email=f"secret-{letter.lower()}-viewer@example.invalid")

    base = ID_BASE["A"]
    users = {
        Role.AGENT: UserFactory(id=base + 11, username="walk_agent"),
        Role.TEAM_LEADER: UserFactory(id=base + 12, username="walk_leader"),
        Role.CREDIT_MANAGER: UserFactory(id=base + 13, username="walk_manager"),
        Role.CREDIT_COMMITTEE: UserFactory(id=base + 14, username="walk_committee"),
        Role.CLIENT_VIEWER: viewer("A"),
        "outsider": viewer("B"),
    }
    for role, user in users.items():
        user.groups.add(Group.objects.get(name=Role.CLIENT_VIEWER if role == "outsider" else role))
        user.save()  # keeps the password hash the factory set, which the session checks
    staff_a = [users[role] for role in (Role.AGENT, Role.TEAM_LEADER, Role.CREDIT_MANAGER,
                                        Role.CREDIT_COMMITTEE)]
    # Client B has staff of its own, who work on B only.
    staff_b = UserFactory(id=ID_BASE["B"] + 11, username="walk_agent_b",
                          email="secret-b-agent@example.invalid")
    staff_b.groups.add(Group.objects.get(name=Role.AGENT))
    staff_b.save()
    side_a = _build_side("A", staff_a)
    side_b = _build_side("B", [staff_b])
    ClientUser.objects.create(user=users[Role.CLIENT_VIEWER], client=side_a.client)
    ClientUser.objects.create(user=users["outsider"], client=side_b.client)
    side_a.markers.add("secret-a-viewer")
    side_b.markers.add("secret-b-viewer")
    for side in (side_a, side_b):
        _collect_keys(side)
    assert not side_a.ids & side_b.ids, "the id ranges must not overlap"
    for marker in side_b.markers:  # no marker of one side may hide inside the other's
        assert not any(marker in other for other in side_a.markers), marker

    words = sorted(c.label for c in apps.get_app_configs())
    return World(sides={"A": side_a, "B": side_b}, users=users, words=words)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker) -> Iterator[World]:
    """One data set for the whole module, rolled back at the end."""
    with (django_db_blocker.unblock(), transaction.atomic(),
          override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])):
        yield _build_world()
        transaction.set_rollback(True)


# --- walking the URL patterns -----------------------------------------------------------------

@dataclass(frozen=True)
class Route:
    name: str  # namespaced name, or the view's dotted path when unnamed
    regex: str  # the full regex from the root
    pattern: URLPattern


def _routes(resolver: URLResolver | None = None, prefix: str = "",
            namespace: str = "") -> Iterator[Route]:
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        text = entry.pattern.regex.pattern.removeprefix("^")
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _routes(entry, prefix + text, inner)
        else:
            callback = entry.callback
            name = namespace + (entry.name or f"{callback.__module__}.{callback.__qualname__}")
            yield Route(name=name, regex=prefix + text, pattern=entry)


def _group_regex(regex: str, name: str) -> str:
    """The sub-pattern of the named group `name` in `regex`."""
    start = regex.index(f"(?P<{name}>") + len(f"(?P<{name}>")
    depth, index, in_class = 1, start, False
    while depth:
        char = regex[index]
        if char == "\\":
            index += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        index += 1
    return regex[start:index - 1]


@dataclass(frozen=True)
class Pool:
    """Values to put in URLs: ids fit numeric parts, ids and codes fit free-text parts
    (`<path:object_id>`, `[^/.]+`), words fit keyword parts (`format`, `app_label`)."""

    ids: list[str]
    codes: list[str]
    words: list[str]
    formats: list[str]

    def fitting(self, regex: str) -> list[str]:
        def fits(value: str) -> bool:
            return re.fullmatch(regex, value) is not None

        if fits("walk-probe.any text"):
            candidates = self.ids + self.codes
        elif fits("12345") and not fits("abc"):
            candidates = self.ids
        elif fits("zzwalkprobe"):  # an open keyword, like DRF's format suffix
            candidates = self.formats
        else:  # a closed list of words, like the admin's app_label
            candidates = self.words
        return [value for value in candidates if fits(value)]


def _urls_for(route: Route, pool: Pool) -> Iterator[tuple[str, dict[str, str]]]:
    """Every URL of the route whose keywords take values from the pool that fit them."""
    for template, params in normalize(route.regex)[:1]:
        choices = [pool.fitting(_group_regex(route.regex, param)) for param in params]
        if not all(choices):
            continue
        combos = list(itertools.product(*choices))
        if len(combos) > 60:  # several keywords: every value of each, not every combination
            combos = [tuple(c[i % len(c)] for c in choices)
                      for i in range(max(len(c) for c in choices))]
        for combo in combos:
            kwargs = dict(zip(params, combo, strict=True))
            path = "/" + template % kwargs
            try:
                match = resolve(path)
            except Resolver404:
                continue
            if match.func is route.pattern.callback:
                yield path, kwargs


def _without_echo(body: str, url: str) -> str:
    """Remove the requested URL and its query values, which a page may echo back."""
    path, _, query = url.partition("?")
    echoes = {url, path, html.escape(url), quote(url, safe="/:?&="), quote(path)}
    for pair in query.split("&"):
        echoes.add(pair.partition("=")[2])
    for echo in sorted(filter(None, echoes), key=len, reverse=True):
        body = body.replace(echo, "")
    return body


WALKERS = ["anonymous", Role.AGENT, Role.TEAM_LEADER, Role.CREDIT_MANAGER,
           Role.CREDIT_COMMITTEE, Role.CLIENT_VIEWER, "outsider"]


@pytest.fixture
def _quiet_request_log() -> Iterator[None]:
    """Thousands of expected 404s and redirects would drown the report (and slow the walk)."""
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.ERROR)
    yield
    logger.setLevel(level)


@pytest.mark.parametrize("walker", WALKERS)
@pytest.mark.usefixtures("_quiet_request_log")
def test_no_route_shows_another_clients_data(world, walker, db):
    own, other = ("B", "A") if walker == "outsider" else ("A", "B")
    forbidden = set(world.sides[other].markers)
    if walker == "anonymous":
        forbidden |= world.sides[own].markers
    browser = HttpClient()
    if walker != "anonymous":
        browser.force_login(world.users[walker])
    other_side = world.sides[other]
    own_side = world.sides[own]
    other_only = (other_side.ids | other_side.natural_keys) - own_side.ids - own_side.natural_keys
    # One id per filter is enough: every model's rows of a client share the same few ids.
    list_queries = [urlencode({key: values[0]}) for key, values in other_side.filters.items()]
    list_queries += [urlencode({key: value}) for key in ("q", "search")
                     for value in sorted(v for v in other_only if "SECRET" in v)[:2]]
    pool = Pool(ids=sorted(own_side.ids | other_side.ids),
                codes=sorted(other_only - other_side.ids), words=world.words,
                formats=["json", "api", "openapi", "yaml"])
    user = world.users.get(walker)
    # The admin refuses anyone who is not active staff before it reads the URL
    # (AdminSite.admin_view), so for them one URL per admin route proves the refusal.
    admin_refuses = user is None or not (user.is_active and user.is_staff)

    leaks: list[str] = []
    wrong_status: list[str] = []
    seen_own = 0
    walked = 0
    for route in _routes():
        if route.name.split(":")[-1] in NOT_WALKABLE:
            continue
        urls_of_route = _urls_for(route, pool)
        if admin_refuses and route.name.startswith(f"{admin.site.name}:"):
            urls_of_route = itertools.islice(urls_of_route, 1)
        for path, kwargs in urls_of_route:
            names_other = any(value in other_only for value in kwargs.values())
            urls = [path]
            if not kwargs or kwargs == {"format": "api"}:  # lists, and their filter forms
                urls += [f"{path}?{query}" for query in list_queries]
            for url in urls:
                response = browser.get(url)
                walked += 1
                body = (b"".join(response.streaming_content)
                        if isinstance(response, StreamingHttpResponse)
                        else response.content).decode("utf-8", "replace")
                body = _without_echo(body, url)
                found = sorted(m for m in forbidden if m in body)
                if found:
                    leaks.append(f"{url} [{route.name}] {response.status_code}: {found[:5]}")
                if response.status_code >= 500 or (
                        names_other and response.status_code not in REFUSALS):
                    wrong_status.append(f"{url} [{route.name}] {response.status_code}")
                if (response.status_code == 200 and walker != "anonymous"
                        and f"SECRET-{own}" in body):
                    seen_own += 1

    assert not leaks, "another client's data leaked:\n" + "\n".join(leaks)
    assert not wrong_status, ("another client's object answered:\n" + "\n".join(wrong_status))
    assert walked > 100
    if walker != "anonymous":
        # The walk reached real pages of the walker's own client, not only refusals.
        assert seen_own >= 5, f"only {seen_own} pages showed the walker's own client"


def test_every_tenant_owned_model_has_rows_in_the_walk(world, db):
    """A new tenant-owned model without rows here would be walked with nothing to find."""
    missing = [
        f"{model._meta.label} (client {side.letter})"
        for model, path in _tenant_models()
        for side in world.sides.values()
        if not model._default_manager.filter(**{path: side.client.pk}).exists()
    ]
    assert not missing, ("add rows for these models to _build_side() in "
                         "tests/access/test_tenant_walk.py: " + ", ".join(missing))


def test_every_registered_api_viewset_is_tenant_scoped():
    from config.api_router import router

    unscoped = [
        f"{prefix}: {viewset.__name__}"
        for prefix, viewset, _basename in router.registry
        if not issubclass(viewset, TenantScopedViewSet)
        and prefix not in UNSCOPED_VIEWSETS_ALLOWED
    ]
    assert not unscoped, ("these viewsets must subclass access.api.TenantScopedViewSet "
                          "(or be allow-listed with a reason): " + ", ".join(unscoped))
    assert router.registry, "no viewset is registered: the check would prove nothing"


def test_the_walk_finds_every_kind_of_route():
    names = {route.name for route in _routes()}
    assert {"portfolio:debtor_detail", "api:debtor-detail", "api:debtor-list", "api-schema",
            "api-docs", "admin:index", "home", "portfolio:debtor_export", "api:debtor-export",
            "api:debtor-erase", "api:collectioncase-list",
            "api:collectioncase-detail", "api:collectioncontact-list",
            "api:promisetopay-detail", "recovery:queue", "recovery:workspace",
            "recovery:control_room", "recovery:next_case", "recovery:outcome",
            "recovery:claim", "recovery:extend", "recovery:release",
            "recovery:override_decide"} <= names


@pytest.mark.parametrize("walker", [Role.CREDIT_MANAGER, "outsider"])
def test_gdpr_requests_never_reach_another_clients_debtor(world, walker, db):
    """The walk only GETs; the export and erasure POSTs are asked here, with B's debtors
    named by A's credit manager and A's debtors by B's viewer: nothing answers, nothing
    changes, nothing is audited."""
    other = world.sides["A" if walker == "outsider" else "B"]
    browser = HttpClient()
    browser.force_login(world.users[walker])
    audited = AuditEvent.objects.count()
    for debtor_id in other.filters["debtor"]:
        responses = [
            browser.post(f"/portfolio/debtors/{debtor_id}/export/"),
            browser.post(f"/portfolio/debtors/{debtor_id}/erase/", {"confirm": "yes"}),
            browser.get(f"/api/v1/debtors/{debtor_id}/export/"),
            browser.post(f"/api/v1/debtors/{debtor_id}/erase/"),
        ]
        for response in responses:
            assert response.status_code in (403, 404), response
            assert f"SECRET-{other.letter}" not in response.content.decode()
    assert AuditEvent.objects.count() == audited
    assert not apps.get_model("portfolio", "Debtor").objects.filter(
        client=other.client, processing_restricted=True).exists()


@pytest.mark.parametrize("path", ["/api/v1/debtors/", "/api/v1/invoices/", "/api/v1/payments/"])
def test_a_filter_naming_another_clients_row_answers_like_a_missing_row(client, personas, path):
    """No existence oracle: ?client=<B's id> and ?client=<no such id> get the same answer."""
    client.force_login(personas.agent)
    last = Client.objects.order_by("-pk").first()
    assert last is not None
    missing = last.pk + 1000

    theirs = client.get(path, {"client": personas.client_b.pk})
    nobody = client.get(path, {"client": missing})
    mine = client.get(path, {"client": personas.client_a.pk})

    assert theirs.status_code == nobody.status_code == 400
    assert theirs.json()["error"]["details"] == {
        key: [text.replace(str(missing), str(personas.client_b.pk)) for text in value]
        for key, value in nobody.json()["error"]["details"].items()
    }
    assert mine.status_code == 200
