"""The upload page of portfolio imports: upload, preview, commit, templates. Credit managers
and administrators only (permission portfolio.add_importjob); everything goes through
portfolio.imports.services, the same layer as the API and the command."""

from __future__ import annotations

from typing import cast

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from access.errors import DomainError
from access.requests import PageRequest
from access.scoping import AnyUser, scope_to_user
from portfolio import selectors
from portfolio.imports import services
from portfolio.imports.columns import COLUMNS
from portfolio.imports.readers import template_csv, template_xlsx
from portfolio.messages import message_text
from portfolio.models import Client, ImportJob
from portfolio.templatetags.formatting import number

_can_import = permission_required("portfolio.add_importjob", raise_exception=True)


class ImportUploadForm(forms.Form):
    client = forms.ModelChoiceField(queryset=Client.objects.none(), label=_("Client"))
    kind = forms.ChoiceField(choices=ImportJob.Kind.choices, label=_("What the file holds"))
    file = forms.FileField(label=_("CSV (UTF-8) or XLSX file"))

    def __init__(self, *args: object, user: AnyUser, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        clients = cast(forms.ModelChoiceField, self.fields["client"])
        clients.queryset = scope_to_user(Client.objects.order_by("name"), user,
                                         client_field="pk")


@login_required
@_can_import
def import_list(request: PageRequest) -> HttpResponse:
    form = ImportUploadForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = services.import_job_create(client=form.cleaned_data["client"],
                                             kind=form.cleaned_data["kind"], fileobj=upload,
                                             name=upload.name, by=request.user)
        except DomainError as error:
            form.add_error("file" if error.field == "file" else None, message_text(error.message))
        else:
            return redirect("portfolio:import_detail", pk=job.pk)
    jobs = Paginator(selectors.import_job_list(user=request.user), 25).get_page(
        request.GET.get("page"))
    return render(request, "portfolio/imports/list.html",
                  {"form": form, "jobs": jobs, "columns": COLUMNS,
                   "max_bytes": settings.IMPORT_MAX_FILE_BYTES})


@login_required
@_can_import
def import_detail(request: PageRequest, pk: int) -> HttpResponse:
    job = selectors.import_job_get_for_user(user=request.user, pk=pk)
    template = "portfolio/imports/detail.html"
    if request.htmx:
        template += "#status"
    return render(request, template, {
        "job": job, "Status": ImportJob.Status, "job_message": _job_message(job),
        # Problems are stored in English by the check (a worker has no language): each is
        # shown in the reader's.
        "problems": [{**item, "text": message_text(item)} for item in job.errors or []],
    })


def _job_message(job: ImportJob) -> str:
    """The job's outcome in the reader's language (the stored one is the worker's English)."""
    if job.status == ImportJob.Status.REJECTED and job.errors:
        if job.error_count == 1 and job.errors[0].get("line") is None:
            return message_text(job.errors[0])
        return _("%(count)s row(s) rejected; nothing was imported. Fix them and upload the "
                 "file again.") % {"count": number(job.error_count)}
    return job.message


@login_required
@_can_import
@require_POST
def import_commit(request: PageRequest, pk: int) -> HttpResponse:
    job = selectors.import_job_get_for_user(user=request.user, pk=pk)
    try:
        services.import_job_commit_request(job=job, by=request.user)
    except DomainError as error:
        messages.error(request, message_text(error.message))
    return redirect("portfolio:import_detail", pk=job.pk)


@login_required
@_can_import
def import_template(request: PageRequest, kind: str, fmt: str) -> HttpResponse:
    if kind not in COLUMNS or fmt not in ("csv", "xlsx"):
        raise Http404
    if fmt == "csv":
        response = HttpResponse(template_csv(kind), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(
            template_xlsx(kind),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="fido-{kind}-template.{fmt}"'
    return response
