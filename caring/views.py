"""Caring pages: the plan and policies (credit managers), the queue and workspace (agents), the
follow-up tasks calls open, and the comparison of called and control invoices."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from access.errors import DomainError
from access.requests import PageRequest
from caring import selectors, services
from caring.forms import OutcomeForm, PolicyForm
from caring.models import CaringPolicy, CaringTask
from portfolio import selectors as portfolio_selectors
from portfolio import validation


def _runs_context(request: PageRequest) -> dict[str, object]:
    runs = list(selectors.plan_runs_latest(user=request.user))
    return {"runs": runs, "runs_open": any(run.is_open for run in runs),
            "can_edit": request.user.has_perm("caring.change_caringpolicy")}


@login_required
@permission_required("caring.view_caringpolicy", raise_exception=True)
def plan(request: PageRequest) -> HttpResponse:
    return render(request, "caring/plan.html", {
        "policies": selectors.policy_list(user=request.user),
        "days": selectors.plan_summary(user=request.user),
        "next_calls": selectors.call_list(user=request.user).filter(
            status__in=["planned", "in_progress"], scheduled_at__gte=timezone.now())[:50],
        **_runs_context(request),
    })


@login_required
@require_POST
@permission_required("caring.change_caringpolicy", raise_exception=True)
def plan_now(request: PageRequest) -> HttpResponse:
    """Run the planner now for the user's clients that have an active policy, on a worker."""
    clients = {policy.client for policy in selectors.policy_list(user=request.user)
               if policy.active}
    if clients:
        services.plan_runs_request(clients=clients, user=request.user)
    else:
        messages.error(request, _("No active caring policy: there is nothing to plan."))
    if request.htmx:
        return render(request, "caring/plan.html#runs", _runs_context(request))
    return redirect("caring:plan")


@login_required
@permission_required("caring.view_caringpolicy", raise_exception=True)
def plan_progress(request: PageRequest) -> HttpResponse:
    """The planning runs' progress, polled by the plan page while a run is open."""
    return render(request, "caring/plan.html#runs", _runs_context(request))


def _policy_form_save(request: PageRequest, form: PolicyForm,
                      policy: CaringPolicy | None) -> CaringPolicy | None:
    if not form.is_valid():
        return None
    values = dict(form.cleaned_data)
    client = values.pop("client")
    values["bands"] = "".join(values["bands"])
    data = services.PolicyData(**values)
    try:
        if policy is None:
            return services.policy_create(client=client, data=data)
        return services.policy_update(policy=policy, data=data)
    except DomainError as error:
        form.add_error(error.field if error.field in form.fields else None, error.message)
        return None


@login_required
@permission_required("caring.add_caringpolicy", raise_exception=True)
def policy_create(request: PageRequest) -> HttpResponse:
    clients = portfolio_selectors.client_list(user=request.user)
    form = PolicyForm(request.POST or None, clients=clients)
    if request.method == "POST" and (saved := _policy_form_save(request, form, None)):
        messages.success(request, _("Caring policy saved."))
        return redirect("caring:policy_edit", pk=saved.pk)
    return render(request, "caring/policy_form.html", {"form": form, "policy": None},
                  status=400 if request.method == "POST" else 200)


@login_required
@permission_required("caring.change_caringpolicy", raise_exception=True)
def policy_edit(request: PageRequest, pk: int) -> HttpResponse:
    policy = selectors.policy_get_for_user(user=request.user, pk=pk)
    clients = portfolio_selectors.client_list(user=request.user)
    initial = {name: getattr(policy, name) for name in (
        "segment", "days_before_due", "min_amount", "max_attempts", "control_share",
        "calls_per_agent_hour", "active")}
    initial.update(client=policy.client, bands=list(policy.bands))
    data = None
    if request.method == "POST":
        data = request.POST.copy()
        data["client"] = str(policy.client_id)
    form = PolicyForm(data, initial=initial, clients=clients, editing=True)
    if request.method == "POST":
        if _policy_form_save(request, form, policy):
            messages.success(request, _("Caring policy saved."))
            return redirect("caring:policy_edit", pk=policy.pk)
        return render(request, "caring/policy_form.html", {"form": form, "policy": policy},
                      status=400)
    return render(request, "caring/policy_form.html", {"form": form, "policy": policy})


@login_required
@permission_required("caring.view_courtesycall", raise_exception=True)
def queue(request: PageRequest) -> HttpResponse:
    calls = list(selectors.queue_for_agent(user=request.user)[:100])
    next_at = None if calls else selectors.next_call_at(user=request.user)
    return render(request, "caring/queue.html", {"calls": calls, "next_at": next_at})


@login_required
@require_POST
@permission_required("caring.change_courtesycall", raise_exception=True)
def claim(request: PageRequest, pk: int) -> HttpResponse:
    call = selectors.call_get_for_user(user=request.user, pk=pk)
    try:
        services.call_claim(call=call, user=request.user)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("caring:queue")
    return redirect("caring:workspace", pk=call.pk)


@login_required
@require_POST
@permission_required("caring.change_courtesycall", raise_exception=True)
def next_call(request: PageRequest) -> HttpResponse:
    """Open the agent's next call due now, straight into its workspace; back to the queue,
    saying so, when none is left."""
    for call in selectors.queue_for_agent(user=request.user)[:NEXT_CALL_TRIES]:
        try:
            services.call_claim(call=call, user=request.user)
        except DomainError:
            continue  # another agent took it a moment ago: try the one after
        return redirect("caring:workspace", pk=call.pk)
    messages.info(request, _("No other courtesy call is due now."))
    return redirect("caring:queue")


# Calls the "next call" button tries to claim before giving up (each one lost to another agent
# is one more conditional UPDATE).
NEXT_CALL_TRIES = 10


@login_required
@permission_required("caring.view_courtesycall", raise_exception=True)
def workspace(request: PageRequest, pk: int) -> HttpResponse:
    call = selectors.call_get_for_user(user=request.user, pk=pk)
    return render(request, "caring/workspace.html", {
        "call": call,
        "invoices": selectors.call_invoices(call),
        "history": selectors.debtor_history(call),
        "contact_points": call.debtor.contact_points.all(),
        "mine": call.status == "in_progress" and call.claimed_by_id == request.user.pk,
        "form": OutcomeForm(),
    })


@login_required
@require_POST
@permission_required("caring.change_courtesycall", raise_exception=True)
def outcome(request: PageRequest, pk: int) -> HttpResponse:
    call = selectors.call_get_for_user(user=request.user, pk=pk)
    form = OutcomeForm(request.POST)
    status = 200
    if form.is_valid():
        callback_at = form.cleaned_data["callback_at"]
        try:
            call = services.call_outcome_record(
                call=call, user=request.user, outcome=form.cleaned_data["outcome"],
                payment_date=form.cleaned_data["payment_date"], callback_at=callback_at,
                note=form.cleaned_data["note"])
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
            status = 400
    else:
        status = 400
    if status == 200 and not request.htmx:
        messages.success(request, _("Outcome recorded."))
        return redirect("caring:queue")
    return render(request, "caring/workspace.html#outcome", {
        "call": call, "form": form if status != 200 else OutcomeForm(), "mine": status != 200,
        "recorded": status == 200,
    }, status=status)


TASKS_PER_PAGE = 50


@login_required
@permission_required("caring.view_caringtask", raise_exception=True)
def tasks(request: PageRequest) -> HttpResponse:
    """Invoices to resend and invoice data to correct, found by courtesy calls."""
    status = request.GET.get("status", CaringTask.Status.OPEN)
    if status not in CaringTask.Status.values:
        status = CaringTask.Status.OPEN
    page = Paginator(selectors.task_list(user=request.user, status=status),
                     TASKS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "caring/tasks.html", {
        "page": page, "status": status,
        "can_close": request.user.has_perm("caring.change_caringtask")})


@login_required
@require_POST
@permission_required("caring.change_caringtask", raise_exception=True)
def task_done(request: PageRequest, pk: int) -> HttpResponse:
    task = selectors.task_get_for_user(user=request.user, pk=pk)
    try:
        services.task_complete(task=task, user=request.user, note=request.POST.get("note", ""))
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Task marked done."))
    return redirect("caring:tasks")


@login_required
@permission_required("caring.view_caringpolicy", raise_exception=True)
def compare(request: PageRequest) -> HttpResponse:
    policies = selectors.policy_list(user=request.user)
    policy = None
    if request.GET.get("policy"):
        policy = selectors.policy_get_for_user(user=request.user, pk=request.GET["policy"])
    as_of = validation.date_query_param(request.GET, "as_of", default=timezone.localdate())
    groups = selectors.caring_compare(
        assignments=selectors.assignments_for_user(user=request.user, policy=policy),
        as_of=as_of)
    return render(request, "caring/compare.html", {
        "groups": groups, "policies": policies, "policy": policy, "as_of": as_of,
        # The embedded mode runs on the generated demo portfolio, whose caring history (and
        # so the difference this page shows) is an assumption of the generator.
        "demo": settings.EMBEDDED})
