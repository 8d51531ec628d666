"""Pages of credit: the approvers' queue, a request with its figures, the debtor's credit file,
statements entry and import, the over-limit list. Thin: parse, call a service, render."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from access.errors import DomainError
from access.pagination import page_number
from access.requests import PageRequest
from credit import analysis, selectors, services, texts
from credit.forms import (
    CreditRequestForm,
    DecisionForm,
    FinancialStatementForm,
    StatementImportForm,
    figure_label,
)
from credit.models import (
    CreditLimit,
    CreditLimitRequest,
    CreditTierPolicy,
    FinancialStatement,
    committee_member_count,
)
from credit.scores import score_for_debtor
from portfolio import selectors as portfolio_selectors

PAGE = 50


@login_required
@permission_required("credit.view_creditlimitrequest", raise_exception=True)
def queue(request: PageRequest) -> HttpResponse:
    waiting = selectors.credit_request_queue(user=request.user)
    mine = (selectors.credit_request_list(user=request.user)
            .filter(requested_by=request.user, status__in=CreditLimitRequest.OPEN_STATUSES)
            .order_by("-created_at")[:50])
    page = Paginator(waiting, PAGE).get_page(request.GET.get("page"))
    return render(request, "credit/queue.html", {
        "page": page,
        "mine": mine,
        "utilisations": selectors.credit_utilisation_for_debtors(
            {credit_request.debtor_id for credit_request in page}),
    })


@login_required
@permission_required("credit.view_creditlimit", raise_exception=True)
def over_limit(request: PageRequest) -> HttpResponse:
    include_warnings = request.GET.get("warnings") == "1"
    debtors = selectors.over_limit_list(user=request.user, include_warnings=include_warnings)
    # No COUNT(*): it would aggregate every open invoice of the client a second time (about
    # 1 s per pass at 1,000,000 invoices); one extra row says whether a next page exists.
    number = page_number(request.GET.get("page"), page_size=PAGE)
    found = list(debtors[(number - 1) * PAGE:number * PAGE + 1])
    utilisations = selectors.credit_utilisation_for_debtors([debtor.pk for debtor in found])
    rows = [(debtor, utilisations[debtor.pk]) for debtor in found[:PAGE]]
    return render(request, "credit/over_limit.html", {
        "rows": rows, "include_warnings": include_warnings, "number": number,
        "has_next": len(found) > PAGE})


def _statement_view(user: Any, debtor: Any) -> dict[str, Any]:
    """Statements, ratios and trends for the user who may see them (the API's rule), nothing
    for anyone else: the template then shows neither figures nor the section."""
    if not selectors.statements_visible(user):
        return {"may_see_statements": False, "statements": [], "trends": [],
                "figure_names": []}
    statements = selectors.debtor_statements(debtor)
    trends = analysis.ratio_trends(
        (statement.fiscal_year, selectors.statement_figures(statement))
        for statement in statements)
    return {"may_see_statements": True, "statements": statements, "trends": trends,
            "figure_names": [(name, figure_label(name)) for name in FinancialStatement.FIGURES]}


@login_required
@permission_required("credit.view_creditlimitrequest", raise_exception=True)
def request_detail(request: PageRequest, pk: int) -> HttpResponse:
    credit_request = selectors.credit_request_get_for_user(user=request.user, pk=pk)
    debtor = credit_request.debtor
    user = request.user
    # Waiting, of a tier this user decides, not their own, not voted on yet: the queue's rule.
    may_decide = selectors.credit_request_queue(user=user).filter(pk=credit_request.pk).exists()
    decisions = (credit_request.decisions.select_related("actor").order_by("id")
                 if user.has_perm("credit.view_creditdecision") else None)
    return render(request, "credit/request_detail.html", {
        "credit_request": credit_request,
        "debtor": debtor,
        "utilisation": selectors.credit_utilisation_for_debtors([debtor.pk])[debtor.pk],
        "score": score_for_debtor(debtor),
        "policy": CreditTierPolicy.for_client(credit_request.client),
        "decisions": decisions,
        "may_decide": may_decide,
        "committee": ({"votes": len(selectors.committee_voters(credit_request)),
                       "members": committee_member_count(client_id=credit_request.client_id)}
                      if credit_request.tier == CreditLimitRequest.Tier.COMMITTEE
                      and credit_request.is_waiting else None),
        "may_submit": (credit_request.status in (CreditLimitRequest.Status.DRAFT,
                                                 CreditLimitRequest.Status.RETURNED)
                       and user.has_perm("credit.add_creditlimitrequest")),
        "form": DecisionForm(above_recommendation=credit_request.above_recommendation),
        "recommendation_steps": texts.recommendation_steps(
            selectors.recommendation_for(user, credit_request.recommendation),
            credit_request.currency),
        "rule_text": texts.RULE,
        **_statement_view(user, debtor),
    })


_MOVES: dict[str, tuple[Callable[..., CreditLimitRequest], bool, Any]] = {
    # move -> (service, takes a comment, message)
    "submit": (services.credit_request_submit, False, _("Request submitted.")),
    "review": (services.credit_request_review_start, False, _("Request taken into review.")),
    "approve": (services.credit_request_approve, True, _("Approval recorded.")),
    "reject": (services.credit_request_reject, True, _("Request rejected.")),
    "return": (services.credit_request_return, True, _("Request returned for information.")),
}


@login_required
@require_POST
def request_act(request: PageRequest, pk: int, move: str) -> HttpResponse:
    if move not in _MOVES:
        raise Http404
    credit_request = selectors.credit_request_get_for_user(user=request.user, pk=pk)
    service, takes_comment, message = _MOVES[move]
    kwargs: dict[str, Any] = {"request": credit_request, "by": request.user}
    if takes_comment:
        form = DecisionForm(request.POST, above_recommendation=(
            move == "approve" and credit_request.above_recommendation))
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, str(error))
            return redirect("credit:request_detail", pk=credit_request.pk)
        kwargs["comment"] = form.cleaned_data["comment"]
        if move == "approve":
            kwargs["override_reason"] = form.cleaned_data.get("override_reason", "")
    try:
        service(**kwargs)
    except DomainError as error:
        if error.code == "not_permitted":
            return HttpResponse(error.message, status=403)
        messages.error(request, error.message)
    else:
        messages.success(request, message)
    return redirect("credit:request_detail", pk=credit_request.pk)


@login_required
@permission_required("credit.view_creditlimit", raise_exception=True)
def debtor_credit(request: PageRequest, pk: int) -> HttpResponse:
    debtor = portfolio_selectors.debtor_get_for_user(user=request.user, pk=pk)
    limits = CreditLimit.objects.filter(debtor=debtor).select_related("request")[:20]
    requests = (selectors.credit_request_list(user=request.user).filter(debtor=debtor)
                .order_by("-created_at")[:50])
    decisions = None
    if request.user.has_perm("credit.view_creditdecision"):
        decisions = (selectors.credit_decision_list(user=request.user)
                     .filter(request__debtor=debtor).order_by("-id")[:200])
    return render(request, "credit/debtor_credit.html", {
        "debtor": debtor,
        "utilisation": selectors.credit_utilisation_for_debtors([debtor.pk])[debtor.pk],
        "score": score_for_debtor(debtor),
        "limits": limits, "requests": requests, "decisions": decisions,
        **_statement_view(request.user, debtor),
    })


@login_required
@permission_required("credit.add_creditlimitrequest", raise_exception=True)
def request_new(request: PageRequest, pk: int) -> HttpResponse:
    debtor = portfolio_selectors.debtor_get_for_user(user=request.user, pk=pk)
    form = CreditRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            credit_request = services.credit_request_create(
                debtor=debtor, amount=form.cleaned_data["amount"],
                justification=form.cleaned_data["justification"], by=request.user)
            if "submit" in request.POST:
                credit_request = services.credit_request_submit(request=credit_request,
                                                                by=request.user)
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            return redirect("credit:request_detail", pk=credit_request.pk)
    return render(request, "credit/request_form.html", {"debtor": debtor, "form": form})


@login_required
@permission_required("credit.add_financialstatement", raise_exception=True)
def statement_new(request: PageRequest, pk: int) -> HttpResponse:
    debtor = portfolio_selectors.debtor_get_for_user(user=request.user, pk=pk)
    form = FinancialStatementForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        figures = dict(form.cleaned_data)
        try:
            statement = services.financial_statement_save(
                debtor=debtor, fiscal_year=figures.pop("fiscal_year"), figures=figures,
                by=request.user)
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            for flag in statement.flags:
                messages.warning(request, texts.flag_message(flag, debtor.client.currency))
            messages.success(request, _("Statement saved."))
            return redirect("credit:debtor_credit", pk=debtor.pk)
    return render(request, "credit/statement_form.html", {"debtor": debtor, "form": form})


@login_required
@permission_required("credit.add_financialstatement", raise_exception=True)
def statement_import(request: PageRequest) -> HttpResponse:
    clients = portfolio_selectors.client_list(user=request.user)
    form = StatementImportForm(request.POST or None, request.FILES or None, clients=clients)
    errors: list[dict[str, object]] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            statements = services.financial_statements_import(
                client=form.cleaned_data["client"], name=upload.name, content=upload.read(),
                by=request.user)
        except services.StatementImportError as error:
            errors = error.errors
        except DomainError as error:
            form.add_error("file", error.message)
        else:
            flagged = sum(1 for statement in statements if statement.flags)
            messages.success(request, _("%(n)d statements imported, %(f)d flagged.")
                             % {"n": len(statements), "f": flagged})
            return redirect("credit:statement_import")
    return render(request, "credit/statement_import.html", {"form": form, "errors": errors})
