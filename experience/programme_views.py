"""Pages of survey programmes: the clients a user sees with their three programmes, one
client's programmes with their settings (a form per kind, read-only for team leaders), and the
market-study upload of the competitive programme.

Thin: parse, call experience.programmes or experience.competitive, render. The client comes
from portfolio.selectors.client_get_for_user, so another client's page answers 404.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from access.errors import DomainError
from experience import competitive, programmes
from experience.forms import ProgrammeForm, StudyImportForm
from experience.models import Kind, Programme, Response, nps_counts
from experience.stats import nps_summary
from portfolio.models import Client
from portfolio.selectors import client_get_for_user, client_list


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


@login_required
def programme_list(request: HttpRequest) -> HttpResponse:
    _require(programmes.may_read_programmes(request.user))
    clients = list(client_list(user=request.user))
    saved: dict[tuple[int, str], Programme] = {
        (each.client_id, each.kind): each
        for each in Programme.objects.filter(client__in=clients)}
    rows = [{"client": client,
             "programmes": [saved.get((client.pk, kind))
                            or programmes.programme_defaults(client=client, kind=kind)
                            for kind in programmes.KINDS]}
            for client in clients]
    return render(request, "experience/programmes/list.html", {"rows": rows})


def _studies(client: Client) -> list[dict[str, Any]]:
    """Each imported study with its own NPS (competitive answers are never pooled across
    studies or with the other kinds)."""
    rows: Iterable[Mapping[str, Any]] = (
        Response.objects.filter(client=client, kind=Kind.COMPETITIVE)
        .values("source").annotate(**nps_counts()).order_by("source"))
    return [{"source": row["source"],
             "summary": nps_summary(promoters=row["promoters"], passives=row["passives"],
                                    detractors=row["detractors"])} for row in rows]


def _detail(request: HttpRequest, client: Client, *, forms: dict[str, ProgrammeForm] | None = None,
            study_form: StudyImportForm | None = None,
            problems: list[competitive.Problem] | None = None, status: int = 200) -> HttpResponse:
    current = programmes.programmes_for_client(client=client)
    forms = forms or {}
    may_change = programmes.may_change_programmes(request.user)
    sections = [{"kind": kind, "programme": programme,
                 "form": forms.get(kind) or ProgrammeForm(kind=kind, programme=programme,
                                                          read_only=not may_change)}
                for kind, programme in current.items()]
    problems = problems or []
    return render(request, "experience/programmes/detail.html", {
        "client": client, "sections": sections,
        "may_change": may_change,
        "study_form": study_form or StudyImportForm(), "studies": _studies(client),
        "last_sample": programmes.relational_last_sample(programme=current[Kind.RELATIONAL]),
        "problems": problems[:competitive.PROBLEMS_SHOWN],
        "problems_hidden": max(len(problems) - competitive.PROBLEMS_SHOWN, 0),
    }, status=status)


@login_required
def programme_detail(request: HttpRequest, client_id: int) -> HttpResponse:
    """GET shows the three programmes; POST saves the one named by `kind`."""
    _require(programmes.may_read_programmes(request.user))
    client = client_get_for_user(user=request.user, pk=client_id)
    if request.method != "POST":
        return _detail(request, client)
    _require(programmes.may_change_programmes(request.user))
    kind = request.POST.get("kind", "")
    if kind not in programmes.KINDS:
        messages.error(request, _("Choose which programme to save."))
        return _detail(request, client, status=400)
    current = programmes.programmes_for_client(client=client)[kind]
    form = ProgrammeForm(request.POST, kind=kind, programme=current)
    if form.is_valid():
        try:
            programmes.programme_save(client=client, kind=kind, data=form.data_for_service(),
                                      by=request.user)
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, _("Programme saved."))
            return redirect("experience:programme_detail", client_id=client.pk)
    return _detail(request, client, forms={kind: form}, status=400)


@login_required
@require_POST
def study_import(request: HttpRequest, client_id: int) -> HttpResponse:
    """Upload a market study: every answer imported, or none and every bad row listed."""
    _require(programmes.may_change_programmes(request.user))
    client = client_get_for_user(user=request.user, pk=client_id)
    form = StudyImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _detail(request, client, study_form=form, status=400)
    try:
        result = competitive.study_import(client=client, study=form.cleaned_data["study"],
                                          fileobj=form.cleaned_data["file"], by=request.user)
    except competitive.StudyRejected as error:
        form.add_error("file", error.message)
        return _detail(request, client, study_form=form, problems=error.problems, status=400)
    except DomainError as error:
        form.add_error(error.field if error.field in form.fields else None, error.message)
        return _detail(request, client, study_form=form, status=400)
    messages.success(request, _("Study \"%(study)s\": %(created)d answers imported, %(already)d "
                                "already imported.")
                     % {"study": result.study, "created": result.created,
                        "already": result.already})
    return redirect("experience:programme_detail", client_id=client.pk)
