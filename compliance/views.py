"""Pages: the rule packs a credit manager reads, and the manual-dial check an agent sees
before dialling (with the override request a team leader approves)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from access.errors import DomainError
from access.requests import PageRequest
from compliance import selectors, services, windows
from compliance.engine import can_contact, permitted_window
from compliance.forms import ContactCheckForm, OverrideDecisionForm, OverrideRequestForm
from compliance.loader import facts_load
from compliance.rules import Param, value_display
from portfolio.selectors import debtor_get_for_user


@login_required
@permission_required("compliance.view_rulepack", raise_exception=True)
def pack_list(request: PageRequest) -> HttpResponse:
    now = timezone.now()
    packs = [(pack, selectors.rule_pack_version_in_force(pack, now))
             for pack in selectors.rule_pack_list()]
    return render(request, "compliance/pack_list.html", {"packs": packs, "now": now})


@login_required
@permission_required("compliance.view_rulepack", raise_exception=True)
def pack_detail(request: PageRequest, code: str) -> HttpResponse:
    pack = selectors.rule_pack_get(code=code)
    in_force = selectors.rule_pack_version_in_force(pack, timezone.now())
    versions = [(version, [(rule, value_display(rule.parameter, rule.value))
                           for rule in version.rules.all()])
                for version in pack.versions.all()]
    return render(request, "compliance/pack_detail.html",
                  {"pack": pack, "in_force": in_force, "versions": versions})


def _check_context(request: PageRequest, debtor, form, decision=None) -> dict:
    return {
        "debtor": debtor, "form": form, "decision": decision,
        "override_form": OverrideRequestForm(),
        "debtor_zone": windows.display_zone(debtor.timezone, debtor.country, debtor.region),
        "decisions": selectors.contact_decision_list(user=request.user, debtor=debtor)[:20],
        "overrides": selectors.contact_override_list(user=request.user, debtor=debtor)[:20],
    }


@login_required
@permission_required("compliance.view_contactdecision", raise_exception=True)
def debtor_check(request: PageRequest, pk: int) -> HttpResponse:
    """GET: the form and the debtor's decision history (?channel= offers that channel's
    contact points). POST: decide now, store the decision with the agent as actor, show it
    (an htmx request gets only the decision partial). A destination that is not one of the
    debtor's contact points for the channel is refused with a clear error (400; to htmx, the
    partial naming the error, which htmx swaps only on success)."""
    debtor = debtor_get_for_user(user=request.user, pk=pk)
    points = list(debtor.contact_points.order_by("channel", "id"))
    refresh_url = reverse("compliance:debtor_check", args=[debtor.pk])
    if request.method != "POST":
        channel = request.GET.get("channel") or "call"
        form = ContactCheckForm(points=points, refresh_url=refresh_url,
                                initial={"channel": channel})
        return render(request, "compliance/debtor_check.html",
                      _check_context(request, debtor, form))
    if not request.user.has_perm("compliance.add_contactattempt"):
        return HttpResponse(status=403)
    form = ContactCheckForm(request.POST, points=points, refresh_url=refresh_url)
    decision = None
    context = {}
    status = 200
    if form.is_valid():
        channel, destination = form.cleaned_data["channel"], form.cleaned_data["destination"]
        now = timezone.now()
        decision = can_contact(debtor, channel, destination, now, actor=request.user,
                               purpose="manual_dial")
        context = _window_context(debtor, channel, destination, now)
    elif not request.htmx:
        status = 400
    template = ("compliance/debtor_check.html#decision" if request.htmx
                else "compliance/debtor_check.html")
    return render(request, template,
                  {**_check_context(request, debtor, form, decision), **context}, status=status)


def _window_context(debtor, channel: str, destination: str, now) -> dict:
    """Today's permitted window in the debtor's local time (the primary zone), for the agent
    to see; the template shows every time of the decision in that zone."""
    facts = facts_load([debtor], at=now)[debtor.pk]
    zone_name, intervals = permitted_window(facts, channel, destination, now)
    tz = windows.zone(zone_name)
    return {"window_zone": zone_name, "debtor_zone": zone_name,
            "window_intervals": [(start.astimezone(tz), end.astimezone(tz))
                                 for start, end in intervals],
            "stop_minutes": facts.rules[Param.STOP_BEFORE_END_MINUTES]}


@login_required
@require_POST
@permission_required("compliance.add_contactoverride", raise_exception=True)
def override_request(request: PageRequest, pk: int) -> HttpResponse:
    decision = selectors.contact_decision_get_for_user(user=request.user, pk=pk)
    form = OverrideRequestForm(request.POST)
    try:
        if not form.is_valid():
            raise DomainError(_("An override needs a reason."), code="reason_required")
        services.contact_override_request(decision=decision, requested_by=request.user,
                                          reason=form.cleaned_data["reason"])
        messages.success(request, _("Override requested; a team leader must approve it."))
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("compliance:debtor_check", pk=decision.debtor_id)


def _override_decide(request: PageRequest, pk: int, approve: bool) -> HttpResponse:
    override = selectors.contact_override_get_for_user(user=request.user, pk=pk)
    form = OverrideDecisionForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    action = services.contact_override_approve if approve else services.contact_override_reject
    try:
        action(override=override, approver=request.user, note=note)
        messages.success(request, _("Override approved.") if approve
                         else _("Override rejected."))
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("compliance:debtor_check", pk=override.debtor_id)


@login_required
@require_POST
@permission_required("compliance.approve_contactoverride", raise_exception=True)
def override_approve(request: PageRequest, pk: int) -> HttpResponse:
    return _override_decide(request, pk, approve=True)


@login_required
@require_POST
@permission_required("compliance.approve_contactoverride", raise_exception=True)
def override_reject(request: PageRequest, pk: int) -> HttpResponse:
    return _override_decide(request, pk, approve=False)


