"""The closed loop's screens for team leaders and credit managers: the follow-up list (open
first, overdue flagged), one follow-up with the answer and the contact engine's verdict for a
call now, and its close form. Every read goes through experience.loop's scoped helpers."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from access.errors import DomainError
from compliance import windows
from compliance.engine import Decision, decide_best
from compliance.loader import facts_load
from compliance.rules import Channel
from experience import loop, themes
from experience.models import COMMENT_MAX, FollowUp
from portfolio.models import Debtor

PAGE_SIZE = 50


class CloseForm(forms.Form):
    resolution = forms.ChoiceField(
        label=gettext_lazy("How did it end?"),
        choices=[("", "—"), *FollowUp.Resolution.choices],
        error_messages={"required": gettext_lazy("Choose how the follow-up ended."),
                        "invalid_choice": gettext_lazy("Choose how the follow-up ended.")})
    notes = forms.CharField(label=gettext_lazy("Notes"), required=False, max_length=COMMENT_MAX,
                            widget=forms.Textarea(attrs={"rows": 3}))


def _require(request: HttpRequest) -> None:
    if not loop.may_follow_up(request.user):
        raise PermissionDenied


def call_verdict(debtor: Debtor, now: Any) -> Decision:
    """Whether a call to the debtor is allowed now, from the contact engine, on the debtor's
    best phone number: a what-if, not stored (the dial itself goes through the pre-dial check,
    which records its decision)."""
    facts = facts_load([debtor], at=now)[debtor.pk]
    return decide_best(facts, Channel.CALL, now)


@login_required
def follow_up_list(request: HttpRequest) -> HttpResponse:
    _require(request)
    status = request.GET.get("status", "")
    mine = request.GET.get("mine") == "1"
    follow_ups = loop.follow_up_list(user=request.user, status=status, mine=mine)
    page = Paginator(follow_ups, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "experience/follow_ups/list.html",
                  {"page": page, "now": timezone.now(), "status": status, "mine": mine})


def _detail_context(request: HttpRequest, follow_up: FollowUp, form: CloseForm) -> dict:
    now = timezone.now()
    response = follow_up.response
    debtor = follow_up.debtor
    return {"follow_up": follow_up, "answer": response, "now": now, "form": form,
            "debtor_zone": windows.display_zone(debtor.timezone, debtor.country, debtor.region),
            "themes": [themes.label(key) for key in response.themes],
            "verdict": call_verdict(follow_up.debtor, now) if follow_up.status == "open"
            else None}


@login_required
def follow_up_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request)
    follow_up = loop.follow_up_get_for_user(user=request.user, pk=pk)
    return render(request, "experience/follow_ups/detail.html",
                  _detail_context(request, follow_up, CloseForm()))


@login_required
@require_POST
def follow_up_close(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request)
    follow_up = loop.follow_up_get_for_user(user=request.user, pk=pk)
    form = CloseForm(request.POST)
    if form.is_valid():
        try:
            loop.follow_up_close(follow_up=follow_up,
                                 resolution=form.cleaned_data["resolution"],
                                 notes=form.cleaned_data["notes"], actor=request.user)
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, _("Follow-up closed."))
            return redirect("experience:follow_up_detail", pk=follow_up.pk)
    return render(request, "experience/follow_ups/detail.html",
                  _detail_context(request, follow_up, form), status=400)


def control_panel_context(request: HttpRequest) -> dict[str, Any] | None:
    """Overdue follow-ups in the control room (registered in ExperienceConfig.ready)."""
    if not loop.may_follow_up(request.user):
        return None
    now = timezone.now()
    return {"overdue": loop.follow_ups_overdue(user=request.user, now=now), "now": now}
