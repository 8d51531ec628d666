"""Write use cases of the experience app that other parts call (the public survey page)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from access.errors import DomainError
from compliance import services as compliance_services
from compliance.models import ContactRestriction
from compliance.rules import Channel
from experience import suppression
from experience.models import Survey
from portfolio.models import Debtor

OPT_OUT_REASON = suppression.reason_text(suppression.OPTED_OUT)


@transaction.atomic
def opt_out_of_surveys(debtor: Debtor, source: str = ContactRestriction.Source.WRITTEN, *,
                       at: dt.datetime | None = None, note: str = "") -> ContactRestriction:
    """The debtor asks for no more surveys (SPEC §5, honoured at once): a channel opt-out on
    the "survey" channel, which the contact engine and the suppression rules both read, and
    every survey of theirs still waiting to be sent is suppressed. Asking twice changes
    nothing: the opt-out in force is returned."""
    if source not in ContactRestriction.Source.values:
        raise DomainError(_("%(value)r is not a source of a restriction.") % {"value": source},
                          code="bad_source", field="source")
    at = at or timezone.now()
    # The debtor's row serialises two opt-outs at once (a double click on the page).
    Debtor.objects.select_for_update().filter(pk=debtor.pk).first()
    restriction = ContactRestriction.objects.filter(
        debtor=debtor, kind=ContactRestriction.Kind.CHANNEL_OPT_OUT, channel=Channel.SURVEY,
        revoked_at__isnull=True).order_by("created_at", "pk").first()
    if restriction is None:
        restriction = compliance_services.restriction_add(
            debtor=debtor, kind=ContactRestriction.Kind.CHANNEL_OPT_OUT, channel=Channel.SURVEY,
            source=source, note=note[:300] or "Opted out of surveys.", at=at)
    Survey.objects.filter(debtor=debtor, status=Survey.Status.SCHEDULED).update(
        status=Survey.Status.SUPPRESSED, suppressed_reason=OPT_OUT_REASON)
    return restriction
