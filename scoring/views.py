"""Pages of scoring: the model registry, a model's detail, a debtor's score panel.

Training and scoring never run in a request: the buttons enqueue Celery tasks after commit.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from access.errors import DomainError
from access.requests import PageRequest
from access.scoping import object_get_for_user, scope_to_user
from portfolio.models import Client, Debtor
from scoring import selectors
from scoring.services import scoring_model_promote
from scoring.tasks import scoring_run_task, scoring_train_task


def _date_or_none(value: object) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _client_for_user(request: PageRequest) -> Client:
    return object_get_for_user(Client.objects.all(), request.user, client_field="pk",
                               pk=request.POST.get("client"))


@login_required
@permission_required("scoring.view_scoringmodel", raise_exception=True)
def model_list(request: PageRequest) -> HttpResponse:
    models = selectors.scoring_model_list_for_user(user=request.user)
    clients = scope_to_user(Client.objects.order_by("name"), request.user, client_field="pk")
    return render(request, "scoring/model_list.html", {"models": models, "clients": clients})


@login_required
@permission_required("scoring.view_scoringmodel", raise_exception=True)
def model_detail(request: PageRequest, pk: int) -> HttpResponse:
    model = selectors.scoring_model_get_for_user(user=request.user, pk=pk)
    stability = selectors.stability_rows(model)
    calibration = {
        "labels": [str(row["bin"]) for row in model.calibration],
        "predicted": [round(row["predicted"], 4) for row in model.calibration],
        "observed": [round(row["observed"], 4) for row in model.calibration],
    }
    return render(request, "scoring/model_detail.html", {
        "model": model, "stability": stability,
        # Stored as ISO text in the JSON fields; dates here so that the page formats them.
        "reference_date": _date_or_none((model.reference or {}).get("as_of")),
        "stability_date": _date_or_none((model.stability or {}).get("as_of")),
        "stability_warning": any(row.warning for row in stability),
        "calibration": calibration,
    })


@login_required
@require_POST
@permission_required("scoring.promote_scoringmodel", raise_exception=True)
def model_promote(request: PageRequest, pk: int) -> HttpResponse:
    model = selectors.scoring_model_get_for_user(user=request.user, pk=pk)
    try:
        scoring_model_promote(model=model, user=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("%(model)s is now the champion.") % {"model": model})
    return redirect("scoring:model_detail", pk=model.pk)


@login_required
@require_POST
@permission_required("scoring.run_scoringmodel", raise_exception=True)
def run_now(request: PageRequest) -> HttpResponse:
    client = _client_for_user(request)
    today = timezone.localdate().isoformat()
    transaction.on_commit(lambda: scoring_run_task.delay(client.pk, today))
    messages.success(request, _("Scoring of %(client)s has been queued.") % {"client": client})
    return redirect("scoring:model_list")


@login_required
@require_POST
@permission_required("scoring.train_scoringmodel", raise_exception=True)
def train_now(request: PageRequest) -> HttpResponse:
    client = _client_for_user(request)
    transaction.on_commit(lambda: scoring_train_task.delay(client.pk))
    messages.success(request, _("Training for %(client)s has been queued.") % {"client": client})
    return redirect("scoring:model_list")


def debtor_score_context(*, debtor: Debtor) -> dict[str, object]:
    """What `scoring/_debtor_score.html` needs; the debtor page includes it with this."""
    score = selectors.debtor_score_latest(debtor=debtor)
    reasons = score.reason_lines if score is not None else []
    return {"debtor": debtor, "score": score, "score_reasons": reasons}


@login_required
@permission_required("scoring.view_debtorscore", raise_exception=True)
def debtor_score(request: PageRequest, pk: int) -> HttpResponse:
    debtor = selectors.debtor_get_for_user(user=request.user, pk=pk)
    context = debtor_score_context(debtor=debtor)
    context["history"] = selectors.score_history(debtor=debtor)
    template = "scoring/_debtor_score.html" if request.htmx else "scoring/debtor_score.html"
    return render(request, template, context)


def debtor_score_panel_context(request: HttpRequest, debtor: Debtor) -> dict[str, object] | None:
    """The score panel on the portfolio debtor page, for users who may read scores."""
    if not request.user.has_perm("scoring.view_debtorscore"):
        return None
    return debtor_score_context(debtor=debtor)
