"""Survey programmes: each client's three programmes (transactional, relational, competitive),
their settings, who may read and change them, and the one write that saves them.

The three kinds are stored apart, one row per client and kind (SPEC §4: never combined). A
client that has not configured a kind yet reads the model's defaults, and the first save
creates its row. Credit managers (they own the collection strategy and its KPIs) and
administrators change programmes of the clients they see; team leaders read them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from access.errors import DomainError
from access.roles import Role
from access.scoping import AnyUser, access_for
from access.services import audit_event_record
from experience.models import Kind, Programme, Survey, Trigger
from portfolio.models import Client

# SPEC §5: a transactional survey goes 1-24 h after the contact.
DELAY_MIN_HOURS, DELAY_MAX_HOURS = 1, 24
LINK_MIN_DAYS, LINK_MAX_DAYS = 1, 60
SAMPLE_MAX = 100_000
EVERY_MIN_DAYS, EVERY_MAX_DAYS = 1, 366

KINDS: tuple[str, ...] = (Kind.TRANSACTIONAL, Kind.RELATIONAL, Kind.COMPETITIVE)

# The settings each kind uses; the others keep their defaults and are not shown for it.
FIELDS_BY_KIND: dict[str, tuple[str, ...]] = {
    Kind.TRANSACTIONAL: ("active", "after_collection_contact", "after_courtesy_call",
                         "after_plan_agreed", "after_case_closed", "delay_minutes",
                         "sample_share", "ask_ces", "ask_csat", "link_valid_days"),
    Kind.RELATIONAL: ("active", "relational_sample_size", "relational_every_days", "ask_ces",
                      "ask_csat", "link_valid_days"),
    Kind.COMPETITIVE: ("active",),
}


def may_read_programmes(user: AnyUser) -> bool:
    access = access_for(user)
    return not access.is_client_viewer and access.has_role(
        Role.TEAM_LEADER, Role.CREDIT_MANAGER, Role.ADMINISTRATOR)


def may_change_programmes(user: AnyUser) -> bool:
    access = access_for(user)
    return not access.is_client_viewer and access.has_role(Role.CREDIT_MANAGER,
                                                           Role.ADMINISTRATOR)


def programme_defaults(*, client: Client, kind: str) -> Programme:
    """An unsaved programme with the model's defaults; relational and competitive programmes
    start inactive, so that nothing is sent before someone decides it."""
    return Programme(client=client, kind=kind, active=kind == Kind.TRANSACTIONAL)


def programmes_for_client(*, client: Client) -> dict[str, Programme]:
    """The client's programme of each kind, saved or default, in the order of KINDS."""
    saved = {programme.kind: programme for programme in Programme.objects.filter(client=client)}
    return {kind: saved.get(kind) or programme_defaults(client=client, kind=kind)
            for kind in KINDS}


@dataclass(frozen=True)
class SampleDrawn:
    at: dt.datetime
    debtors: int
    next_from: dt.datetime


def relational_last_sample(*, programme: Programme) -> SampleDrawn | None:
    """When the programme's latest relational sample was drawn, its size, and when the next
    one may be drawn (experience/sampling.py draws once per period)."""
    if programme.pk is None:
        return None
    last = (Survey.objects.filter(programme=programme, trigger=Trigger.RELATIONAL_SAMPLE)
            .aggregate(at=Max("due_at")))["at"]
    if last is None:
        return None
    size = Survey.objects.filter(programme=programme, trigger=Trigger.RELATIONAL_SAMPLE,
                                 due_at=last).count()
    return SampleDrawn(at=last, debtors=size,
                       next_from=last + dt.timedelta(days=programme.relational_every_days))


@dataclass(frozen=True)
class ProgrammeData:
    """Settings of one programme; None leaves a setting as it is."""

    active: bool | None = None
    after_collection_contact: bool | None = None
    after_courtesy_call: bool | None = None
    after_plan_agreed: bool | None = None
    after_case_closed: bool | None = None
    delay_minutes: int | None = None
    sample_share: Decimal | None = None
    relational_sample_size: int | None = None
    relational_every_days: int | None = None
    ask_ces: bool | None = None
    ask_csat: bool | None = None
    link_valid_days: int | None = None

    def given(self) -> dict[str, Any]:
        return {name: value for name, value in self.__dict__.items() if value is not None}


def programme_data_check(*, kind: str, data: ProgrammeData) -> None:
    """Refuse settings out of range, naming the setting and the range (SPEC §5)."""
    if kind not in KINDS:
        raise DomainError(_("Unknown programme kind \"%(kind)s\": choose transactional, "
                            "relational or competitive.") % {"kind": kind},
                          code="unknown_kind", field="kind")
    unused = sorted(set(data.given()) - set(FIELDS_BY_KIND[kind]))
    if unused:
        raise DomainError(_("These settings do not apply to a %(kind)s programme: %(names)s.")
                          % {"kind": kind, "names": ", ".join(unused)},
                          code="not_for_kind", field=unused[0])
    delay = data.delay_minutes
    if delay is not None and not DELAY_MIN_HOURS * 60 <= delay <= DELAY_MAX_HOURS * 60:
        raise DomainError(_("The survey goes between 1 and 24 hours after the contact."),
                          code="bad_delay", field="delay_minutes")
    share = data.sample_share
    if share is not None and not Decimal("0") < share <= Decimal("1"):
        raise DomainError(_("The share surveyed must be above 0 and at most 1 (1 = every "
                            "eligible contact)."), code="bad_share", field="sample_share")
    if share is not None and share != share.quantize(Decimal("0.001")):
        raise DomainError(_("The share surveyed takes at most three decimals."),
                          code="bad_share", field="sample_share")
    days = data.link_valid_days
    if days is not None and not LINK_MIN_DAYS <= days <= LINK_MAX_DAYS:
        raise DomainError(_("A survey link is valid for 1 to 60 days."),
                          code="bad_link_days", field="link_valid_days")
    size = data.relational_sample_size
    if size is not None and not 1 <= size <= SAMPLE_MAX:
        raise DomainError(_("A relational sample takes 1 to %(max)d debtors.")
                          % {"max": SAMPLE_MAX}, code="bad_sample_size",
                          field="relational_sample_size")
    every = data.relational_every_days
    if every is not None and not EVERY_MIN_DAYS <= every <= EVERY_MAX_DAYS:
        raise DomainError(_("Relational samples are drawn every 1 to 366 days."),
                          code="bad_every_days", field="relational_every_days")


def programme_save(*, client: Client, kind: str, data: ProgrammeData, by: Any) -> Programme:
    """Create or change the client's programme of `kind`; checked before anything is written,
    and recorded in the audit."""
    programme_data_check(kind=kind, data=data)
    values = data.given()
    with transaction.atomic():
        programme = (Programme.objects.select_for_update().filter(client=client, kind=kind)
                     .first())
        if programme is None:
            programme = programme_defaults(client=client, kind=kind)
        for name, value in values.items():
            setattr(programme, name, value)
        programme.save()
        audit_event_record(actor=by, action="experience.programme_save", client_id=client.pk,
                           object_type="experience.programme", object_id=programme.pk,
                           detail={"kind": kind,
                                   "settings": {k: str(v) for k, v in values.items()}})
    return programme
