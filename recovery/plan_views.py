"""Pages of payment plans and disputes: the plan form reached from a case (equal or custom
instalments, down payment, a preview before saving), the plan page, the team leader's approval
list, and the second-level user's dispute screen (open disputes with their invoices, the
debtor's story and the contact where it was raised; upheld or rejected with a note).

Thin: parse, call one service of recovery/plans.py or recovery/disputes.py, render. Every
queryset goes through access.scoping; another client's objects answer 404."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from access.errors import DomainError
from access.requests import PageRequest
from access.scoping import object_get_for_user, scope_to_user
from recovery import disputes, plans
from recovery.models import (
    CollectionCase,
    CollectionContact,
    Dispute,
    DisputedInvoice,
    Instalment,
    PaymentPlan,
)
from recovery.plan_models import plan_policy_for

# --- Forms -----------------------------------------------------------------------------------


class PlanForm(forms.Form):
    total = forms.DecimalField(label=gettext_lazy("Total"), max_digits=14, decimal_places=2,
                               min_value=Decimal("0.01"))
    down_payment = forms.DecimalField(label=gettext_lazy("Down payment"), max_digits=14,
                                      decimal_places=2, min_value=Decimal("0"),
                                      initial=Decimal("0"), required=False)
    start_date = forms.DateField(label=gettext_lazy("First payment on"),
                                 widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(label=gettext_lazy("Instalments"),
                             choices=PaymentPlan.InstalmentKind.choices,
                             initial=PaymentPlan.InstalmentKind.EQUAL,
                             widget=forms.RadioSelect)
    instalment_count = forms.IntegerField(label=gettext_lazy("Number of instalments"),
                                          min_value=1, max_value=plans.MAX_INSTALMENTS,
                                          required=False, initial=6)
    amounts = forms.CharField(
        label=gettext_lazy("Custom amounts"), required=False,
        help_text=gettext_lazy("One amount per line, in order, without the down payment."),
        widget=forms.Textarea(attrs={"rows": 3}))
    note = forms.CharField(label=gettext_lazy("Note"), max_length=500, required=False,
                           help_text=gettext_lazy("Needed when the total is above the overdue."),
                           widget=forms.Textarea(attrs={"rows": 2}))

    def clean_amounts(self) -> list[Decimal] | None:
        text = self.cleaned_data.get("amounts", "").strip()
        if not text:
            return None
        try:
            return [Decimal(part.strip().replace(",", "."))
                    for part in text.replace(";", "\n").splitlines() if part.strip()]
        except InvalidOperation:
            raise forms.ValidationError(_("Write one amount per line, like 150.00.")) from None

    def terms(self) -> plans.PlanTerms:
        data = self.cleaned_data
        custom = data["kind"] == PaymentPlan.InstalmentKind.CUSTOM
        return plans.PlanTerms(
            total=data["total"], start_date=data["start_date"],
            down_payment=data.get("down_payment") or Decimal("0"),
            instalment_count=None if custom else data.get("instalment_count"),
            amounts=(data.get("amounts") or []) if custom else None, note=data.get("note", ""))


class ReasonForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=500)


class ResolveForm(forms.Form):
    resolution = forms.ChoiceField(label=gettext_lazy("Decision"), widget=forms.RadioSelect,
                                   choices=[(Dispute.Status.UPHELD, gettext_lazy(
                                       "Upheld: issue a credit note")),
                                            (Dispute.Status.REJECTED, gettext_lazy(
                                                "Rejected: back to collection"))])
    note = forms.CharField(label=gettext_lazy("Note"), max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))


def _field(form: forms.Form, error: DomainError) -> str | None:
    mapping = {"instalment_count": "instalment_count", "amounts": "amounts", "total": "total",
               "down_payment": "down_payment", "note": "note", "reason": "reason"}
    name = mapping.get(error.field or "")
    return name if name in form.fields else None


# --- Plans -----------------------------------------------------------------------------------


def _plans(user: Any) -> QuerySet[PaymentPlan]:
    return scope_to_user(PaymentPlan.objects.select_related("debtor", "case", "created_by",
                                                            "approved_by")
                         .prefetch_related(Prefetch(
                             "instalments", queryset=Instalment.objects.order_by("number"))),
                         user)


@login_required
@permission_required("recovery.add_paymentplan", raise_exception=True)
def plan_create(request: PageRequest, case_pk: int) -> HttpResponse:
    """The plan form of a case; "Preview" shows the instalments without saving."""
    case = object_get_for_user(CollectionCase.objects.select_related("debtor", "client"),
                               request.user, pk=case_pk)
    policy = plan_policy_for(case.client_id)
    initial = {"total": case.overdue_amount, "start_date": timezone.localdate()
               + dt.timedelta(days=7)}
    form = PlanForm(request.POST or None, initial=initial)
    preview = None
    if request.method == "POST" and form.is_valid():
        try:
            if "preview" in request.POST:
                preview = plans.instalments_schedule(form.terms())
            else:
                plan = plans.payment_plan_create(case=case, by=request.user, terms=form.terms())
                if plan.status == PaymentPlan.Status.PENDING_APPROVAL:
                    messages.info(request, _("Plan saved: it waits for a team leader's "
                                             "approval."))
                else:
                    messages.success(request, _("Plan saved and active."))
                return redirect("recovery:plan_detail", pk=plan.pk)
        except DomainError as error:
            form.add_error(_field(form, error), error.message)
    return render(request, "recovery/plans/form.html", {
        "case": case, "form": form, "preview": preview, "policy": policy,
        "plans": _plans(request.user).filter(case=case).order_by("-created_at")[:10],
    })


@login_required
@permission_required("recovery.view_paymentplan", raise_exception=True)
def plan_detail(request: PageRequest, pk: int) -> HttpResponse:
    plan = object_get_for_user(_plans(request.user), request.user, pk=pk)
    history: list[PaymentPlan] = []
    older = plan.supersedes
    while older is not None and len(history) < 20:
        history.append(older)
        older = older.supersedes
    return render(request, "recovery/plans/detail.html", {
        "plan": plan, "history": history, "reason_form": ReasonForm(),
        "can_approve": (request.user.has_perm("recovery.approve_paymentplan")
                        and plan.status == PaymentPlan.Status.PENDING_APPROVAL),
        "can_cancel": (request.user.has_perm("recovery.add_paymentplan")
                       and plan.status in plans.LIVE),
    })


@login_required
@permission_required("recovery.approve_paymentplan", raise_exception=True)
def plan_approvals(request: PageRequest) -> HttpResponse:
    """The team leader's list: plans waiting for approval, oldest first."""
    waiting = (_plans(request.user).filter(status=PaymentPlan.Status.PENDING_APPROVAL)
               .select_related("client").order_by("created_at", "id")[:100])
    return render(request, "recovery/plans/approvals.html", {
        "plans": waiting, "reason_form": ReasonForm()})


def _plan_action(request: PageRequest, pk: int, act: str) -> HttpResponse:
    plan = object_get_for_user(PaymentPlan.objects.all(), request.user, pk=pk)
    form = ReasonForm(request.POST)
    try:
        if act == "approve":
            plans.payment_plan_approve(plan=plan, by=request.user)
            messages.success(request, _("Plan approved."))
        elif not form.is_valid():
            messages.error(request, _("Say why."))
        elif act == "reject":
            plans.payment_plan_reject(plan=plan, by=request.user,
                                      reason=form.cleaned_data["reason"])
            messages.success(request, _("Plan refused."))
        else:
            plans.payment_plan_cancel(plan=plan, by=request.user,
                                      reason=form.cleaned_data["reason"])
            messages.success(request, _("Plan cancelled."))
    except DomainError as error:
        messages.error(request, error.message)
    if request.POST.get("next") == "approvals":
        return redirect("recovery:plan_approvals")
    return redirect("recovery:plan_detail", pk=plan.pk)


@login_required
@permission_required("recovery.approve_paymentplan", raise_exception=True)
@require_POST
def plan_approve(request: PageRequest, pk: int) -> HttpResponse:
    return _plan_action(request, pk, "approve")


@login_required
@permission_required("recovery.approve_paymentplan", raise_exception=True)
@require_POST
def plan_reject(request: PageRequest, pk: int) -> HttpResponse:
    return _plan_action(request, pk, "reject")


@login_required
@permission_required("recovery.add_paymentplan", raise_exception=True)
@require_POST
def plan_cancel(request: PageRequest, pk: int) -> HttpResponse:
    return _plan_action(request, pk, "cancel")


# --- Disputes --------------------------------------------------------------------------------


def _disputes(user: Any) -> QuerySet[Dispute]:
    return scope_to_user(
        Dispute.objects.select_related("debtor", "client", "case", "opened_by", "resolved_by",
                                       "credit_note", "contact", "contact__agent")
        .prefetch_related(Prefetch("links", queryset=DisputedInvoice.objects
                                   .select_related("invoice").order_by("invoice__due_date",
                                                                        "invoice_id"))),
        user)


def _resolver_only(user: Any) -> None:
    if not disputes.can_resolve_disputes(user):
        raise PermissionDenied


@login_required
def dispute_list(request: PageRequest) -> HttpResponse:
    """The second-level user's screen: open disputes, oldest first; or the resolved ones."""
    _resolver_only(request.user)
    status = "resolved" if request.GET.get("status") == "resolved" else "open"
    rows = _disputes(request.user)
    if status == "open":
        rows = rows.filter(status=Dispute.Status.OPEN).order_by("opened_at", "id")
    else:
        rows = rows.exclude(status=Dispute.Status.OPEN).order_by("-resolved_at", "-id")
    page = list(rows[:50])
    # The debtor's story beside each dispute: the last contacts of its debtor (one query).
    debtor_ids = {d.debtor_id for d in page}
    story: dict[int, list[CollectionContact]] = {}
    contacts = scope_to_user(CollectionContact.objects.filter(debtor_id__in=debtor_ids),
                             request.user)
    for contact in contacts.select_related("agent").order_by("-saved_at")[:300]:
        if len(story.setdefault(contact.debtor_id, [])) < 3:
            story[contact.debtor_id].append(contact)
    for dispute in page:
        dispute.story = story.get(dispute.debtor_id, [])  # type: ignore[attr-defined]
        dispute.total = sum((link.amount for link in dispute.links.all()),  # type: ignore[attr-defined]
                            Decimal("0"))
    return render(request, "recovery/disputes/list.html", {
        "disputes": page, "status": status, "form": ResolveForm()})


@login_required
@require_POST
def dispute_resolve(request: PageRequest, pk: int) -> HttpResponse:
    _resolver_only(request.user)
    dispute = object_get_for_user(Dispute.objects.all(), request.user, pk=pk)
    form = ResolveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose upheld or rejected and write a note."))
        return redirect("recovery:dispute_list")
    try:
        dispute = disputes.dispute_resolve(dispute=dispute, by=request.user,
                                           outcome=form.cleaned_data["resolution"],
                                           note=form.cleaned_data["note"])
    except DomainError as error:
        messages.error(request, error.message)
    else:
        if dispute.status == Dispute.Status.UPHELD:
            messages.success(request, _("Dispute upheld: credit note issued."))
        else:
            messages.success(request, _("Dispute rejected: the invoices are back in "
                                        "collection."))
    return redirect("recovery:dispute_list")


urlpatterns = [
    path("cases/<int:case_pk>/plans/new/", plan_create, name="plan_create"),
    path("plans/approvals/", plan_approvals, name="plan_approvals"),
    path("plans/<int:pk>/", plan_detail, name="plan_detail"),
    path("plans/<int:pk>/approve/", plan_approve, name="plan_approve"),
    path("plans/<int:pk>/reject/", plan_reject, name="plan_reject"),
    path("plans/<int:pk>/cancel/", plan_cancel, name="plan_cancel"),
    path("disputes/", dispute_list, name="dispute_list"),
    path("disputes/<int:pk>/resolve/", dispute_resolve, name="dispute_resolve"),
]
