"""Pages of the collections desk: the agent's queue, the case workspace (htmx partials,
keyboard-first) and the team leader's control room (a partial polled every few seconds).

Views parse, call one service or selector, render. Claims and outcomes go through
recovery.services; the reads are in recovery.workspace.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from access.errors import DomainError
from access.requests import PageRequest
from access.scoping import access_for
from compliance import services as compliance_services
from recovery import services, workspace
from recovery.control_panels import control_panels_for
from recovery.forms import (
    OTHER_OUTCOMES,
    OUTCOME_KEYS,
    PARTY_KEYS,
    RESULT_KEYS,
    SERVICE_FIELDS,
    OutcomeForm,
)
from recovery.models import CollectionCase, CollectionContact
from scoring.views import debtor_score_context


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


@login_required
def queue(request: PageRequest) -> HttpResponse:
    _require(workspace.may_work_cases(request.user))
    return render(request, "recovery/queue.html",
                  {"day": workspace.agent_day(user=request.user), "now": timezone.now(),
                   "may_watch": workspace.may_watch_desk(request.user)})


@login_required
@require_POST
def next_case(request: PageRequest) -> HttpResponse:
    """Claim the best case this agent may work now and open its workspace."""
    _require(workspace.may_work_cases(request.user))
    try:
        case = services.case_claim_next(agent=request.user)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("recovery:queue")
    if case is None:
        messages.info(request, _("No case may be called now: the queue is empty or every "
                                 "debtor is outside their contact window."))
        return redirect("recovery:queue")
    url = reverse("recovery:workspace", args=[case.pk])
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def _workspace_context(request: PageRequest, case: CollectionCase,
                       form: OutcomeForm | None = None) -> dict[str, Any]:
    now = timezone.now()
    debtor = case.debtor
    invoices = workspace.debtor_invoices(user=request.user, debtor=debtor,
                                         today=timezone.localdate(now))
    story = workspace.debtor_story(user=request.user, debtor=debtor)
    agreements = workspace.debtor_agreements(user=request.user, debtor=debtor)
    may_work = workspace.may_work_cases(request.user)
    mine = (case.claimed_by_id == request.user.pk and case.claim_expires_at is not None
            and case.claim_expires_at > now)
    if form is None:
        phones = [p.value for p in debtor.contact_points.all()
                  if p.channel == "phone" and p.wrong_number_at is None]
        form = OutcomeForm(invoices=invoices, initial={
            "opened": workspace.opened_token(case=case, user=request.user, at=now),
            "destination": phones[0] if phones else "",
            "next_step": CollectionContact.NextStep.NONE})
    return {
        "case": case, "debtor": debtor, "invoices": invoices, "story": story,
        "agreements": agreements,
        "payments": debtor.payments.order_by("-value_date", "-id")[:8],
        "contact_points": list(debtor.contact_points.all()),
        "situation": workspace.situation_of(case=case, story=story, agreements=agreements),
        "mine": mine, "may_work": may_work,
        "claimable": may_work and not mine and (case.claim_expires_at is None
                                                or case.claim_expires_at <= now),
        "form": form, "keys": {str(value): key for shortcuts in (RESULT_KEYS, PARTY_KEYS,
                                                                OUTCOME_KEYS)
                               for value, key in shortcuts.items()},
        "other_outcomes": [str(value) for value in OTHER_OUTCOMES],
        **debtor_score_context(debtor=debtor),
    }


@login_required
def case_workspace(request: PageRequest, pk: int) -> HttpResponse:
    case = workspace.case_get_for_user(user=request.user, pk=pk)  # 404 for another client
    _require(not access_for(request.user).is_client_viewer
             and request.user.has_perm("recovery.view_collectioncase"))
    return render(request, "recovery/workspace.html", _workspace_context(request, case))


@login_required
@require_POST
def case_claim(request: PageRequest, pk: int) -> HttpResponse:
    case = workspace.case_get_for_user(user=request.user, pk=pk)
    _require(workspace.may_work_cases(request.user))
    try:
        services.case_claim(case=case, agent=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("recovery:workspace", pk=case.pk)


@login_required
@require_POST
def case_extend(request: PageRequest, pk: int) -> HttpResponse:
    """The open workspace keeps its claim alive (htmx, every few minutes) while the call lasts
    longer than the lease."""
    case = workspace.case_get_for_user(user=request.user, pk=pk)
    _require(workspace.may_work_cases(request.user))
    try:
        services.case_claim_extend(case=case, agent=request.user)
    except DomainError as error:
        return HttpResponse(error.message, status=409, content_type="text/plain")
    return HttpResponse(status=204)


@login_required
@require_POST
def case_release(request: PageRequest, pk: int) -> HttpResponse:
    case = workspace.case_get_for_user(user=request.user, pk=pk)
    _require(workspace.may_work_cases(request.user))
    services.case_release(case=case, agent=request.user)
    messages.success(request, _("Case given back to the queue."))
    return redirect("recovery:queue")


@login_required
@require_POST
def outcome(request: PageRequest, pk: int) -> HttpResponse:
    """Record the contact; the form comes back with the service's error and every value kept,
    or the saved panel with its "Next case" button."""
    case = workspace.case_get_for_user(user=request.user, pk=pk)
    _require(workspace.may_work_cases(request.user))
    invoices = workspace.debtor_invoices(user=request.user, debtor=case.debtor,
                                         today=timezone.localdate())
    form = OutcomeForm(request.POST, invoices=invoices)
    contact = None
    if form.is_valid():
        opened_at = workspace.opened_at_from(form.cleaned_data["opened"], case=case,
                                             user=request.user)
        if opened_at is None:
            form.add_error(None, _("This page is too old or was not opened by you: reload the "
                                   "case and log the contact again."))
        else:
            try:
                contact = services.contact_outcome_record(
                    case=case, agent=request.user,
                    data=services.ContactData(opened_at=opened_at, **form.contact_values()))
            except DomainError as error:
                name = SERVICE_FIELDS.get(error.field or "", error.field)
                form.add_error(name if name in form.fields else None, error.message)
    if contact is None:
        template = ("recovery/workspace.html#outcome" if request.htmx
                    else "recovery/workspace.html")
        return render(request, template, _workspace_context(request, case, form), status=400)
    if not request.htmx:
        messages.success(request, _("Contact recorded."))
        return redirect("recovery:queue")
    labels = dict(CollectionContact.Outcome.choices)
    return render(request, "recovery/workspace.html#saved", {
        "case": case, "contact": contact,
        "outcome_labels": [labels.get(value, value) for value in contact.outcomes]})


# --- The control room ---------------------------------------------------------------------------


@login_required
def control_room(request: PageRequest) -> HttpResponse:
    _require(workspace.may_watch_desk(request.user))
    template = ("recovery/control_room.html#live" if request.htmx
                else "recovery/control_room.html")
    return render(request, template, _room_context(request))


def _room_context(request: PageRequest) -> dict[str, Any]:
    """The desk's own state and the panels higher apps add (recovery.control_panels)."""
    return {"room": workspace.control_room(user=request.user),
            "panels": control_panels_for(request)}


@login_required
@require_POST
def override_decide(request: PageRequest, pk: int) -> HttpResponse:
    """Approve or reject a contact-rule override from the control room (compliance's service
    decides who may)."""
    _require(workspace.may_watch_desk(request.user)
             and request.user.has_perm("compliance.approve_contactoverride"))
    override = workspace.override_get_for_user(user=request.user, pk=pk)
    approve = request.POST.get("decision") == "approve"
    action = (compliance_services.contact_override_approve if approve
              else compliance_services.contact_override_reject)
    try:
        action(override=override, approver=request.user,
               note=request.POST.get("note", "")[:300])
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Override approved.") if approve
                         else _("Override rejected."))
    if request.htmx:
        return render(request, "recovery/control_room.html#live", _room_context(request))
    return redirect("recovery:control_room")
