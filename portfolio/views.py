from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from access.errors import DomainError
from access.requests import PageRequest
from portfolio import privacy, selectors, services, validation
from portfolio.models import Debtor, PaymentReversal
from portfolio.panels import debtor_panels_for

# The protective flags, in the order the debtor page lists them, with their labels.
FLAG_LABELS = {
    "do_not_call": gettext_lazy("Do not call"),
    "vulnerable": gettext_lazy("Vulnerability hold"),
    "deceased": gettext_lazy("Deceased"),
}


def _as_of(request: PageRequest) -> dt.date:
    """`?as_of=`: today by default; a bad one is a 400 naming it (access.middleware)."""
    return validation.date_query_param(request.GET, "as_of", default=timezone.localdate())


@login_required
def client_detail(request: PageRequest, pk: int) -> HttpResponse:
    client = selectors.client_get_for_user(user=request.user, pk=pk)
    as_of = _as_of(request)
    aging = selectors.aging_summary(selectors.invoice_list(user=request.user, client=client),
                                    as_of=as_of)
    return render(request, "portfolio/client_detail.html",
                  {"client": client, "aging": aging, "as_of": as_of,
                   "buckets": selectors.AGING_BUCKETS})


@login_required
def debtor_list(request: PageRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()[:100]
    client = None
    if request.GET.get("client"):
        client = selectors.client_get_for_user(user=request.user, pk=request.GET["client"])
    debtors = selectors.debtor_list(user=request.user, client=client, search=search)
    page = Paginator(debtors, 50).get_page(request.GET.get("page"))
    template = "portfolio/debtor_list.html#rows" if request.htmx else "portfolio/debtor_list.html"
    return render(request, template, {"page": page, "search": search, "client": client})


@login_required
def debtor_detail(request: PageRequest, pk: int) -> HttpResponse:
    debtor = selectors.debtor_get_for_user(user=request.user, pk=pk)
    invoices = selectors.invoice_list(user=request.user, debtor=debtor).order_by("-due_date")[:200]
    payments = (selectors.payment_list(user=request.user, debtor=debtor)
                .select_related("reversal")[:100])
    aging = selectors.aging_summary(selectors.invoice_list(user=request.user, debtor=debtor),
                                    as_of=_as_of(request))
    return render(request, "portfolio/debtor_detail.html", {
        "debtor": debtor, "invoices": invoices, "payments": payments, "aging": aging,
        "buckets": selectors.AGING_BUCKETS,
        "contact_points": debtor.contact_points.all(),
        "panels": debtor_panels_for(request, debtor),
        "flags": _flag_rows(request, debtor),
        "may_reverse": request.user.has_perm("portfolio.add_paymentreversal"),
        "reversal_reasons": PaymentReversal.Reason.choices,
    })


@dataclass(frozen=True)
class FlagRow:
    """One protective flag on the debtor page: its state, its last change, what the user may
    do with it."""

    name: str
    label: str
    value: bool
    changed_by: object
    changed_at: dt.datetime | None
    may_change: bool


def _flag_rows(request: PageRequest, debtor: Debtor) -> list[FlagRow]:
    """The flags for the debtor page's form; none for a user who may set none (client viewers
    and committee members read the header's badges only).

    Vulnerability is special-category data (SPEC §6): only the roles that may change debtors
    see it at all, as in the page's header. Who changed each flag: one query for all three.
    """
    if not any(services.debtor_flag_allowed(user=request.user, flag=name, value=True)
               for name in FLAG_LABELS):
        return []
    names = [name for name in FLAG_LABELS
             if name != "vulnerable" or request.user.has_perm("portfolio.change_debtor")]
    people = get_user_model().objects.in_bulk(
        [pk for name in names if (pk := getattr(debtor, f"{name}_set_by_id")) is not None])
    return [
        FlagRow(name, str(FLAG_LABELS[name]), getattr(debtor, name),
                people.get(getattr(debtor, f"{name}_set_by_id")),
                getattr(debtor, f"{name}_set_at"),
                services.debtor_flag_allowed(user=request.user, flag=name,
                                             value=not getattr(debtor, name)))
        for name in names
    ]


@login_required
@require_POST
def debtor_flag(request: PageRequest, pk: int) -> HttpResponse:
    """Set or clear one protective flag from the debtor page (who and when are recorded)."""
    debtor = selectors.debtor_get_for_user(user=request.user, pk=pk)
    flag = request.POST.get("flag", "")
    raw = request.POST.get("value", "")
    if flag not in FLAG_LABELS or raw not in ("0", "1"):
        return HttpResponseBadRequest(_("Unknown flag or value: choose a flag and set or clear "
                                        "it."))
    value = raw == "1"
    if not services.debtor_flag_allowed(user=request.user, flag=flag, value=value):
        return HttpResponse(_("Your role may not change this flag: clearing one needs a team "
                              "leader or a credit manager."), status=403)
    try:
        services.debtor_flag_set(debtor=debtor, flag=flag, value=value, by=request.user)
    except DomainError as error:
        return HttpResponseBadRequest(error.message)
    template = (_("%(flag)s set: the contact rules apply it from now on.") if value
                else _("%(flag)s cleared."))
    messages.success(request, template % {"flag": FLAG_LABELS[flag]})
    return redirect("portfolio:debtor_detail", pk=debtor.pk)


@login_required
@require_POST
def payment_reverse(request: PageRequest, pk: int, payment_pk: int) -> HttpResponse:
    """Book a payment that did not stay paid, from the debtor page's payments table."""
    debtor = selectors.debtor_get_for_user(user=request.user, pk=pk)
    payment = get_object_or_404(selectors.payment_list(user=request.user, debtor=debtor),
                                pk=payment_pk)
    if not request.user.has_perm("portfolio.add_paymentreversal"):
        return HttpResponse(_("Your role may not reverse payments: ask a credit manager."),
                            status=403)
    try:
        booked_on = validation.date_query_param(request.POST, "booked_on",
                                                default=timezone.localdate())
        services.payment_reverse(payment=payment, booked_on=booked_on,
                                 reason=request.POST.get("reason", ""),
                                 note=request.POST.get("note", ""), by=request.user)
    except DomainError as error:
        messages.error(request, _("Payment %(reference)s not reversed: %(problem)s")
                       % {"reference": payment.external_ref, "problem": error.message})
    else:
        messages.success(request, _("Payment %(reference)s reversed: the invoices it paid are "
                                    "open again.") % {"reference": payment.external_ref})
    return redirect("portfolio:debtor_detail", pk=debtor.pk)


@login_required
def invoice_detail(request: PageRequest, pk: int) -> HttpResponse:
    invoice = selectors.invoice_get_for_user(user=request.user, pk=pk)
    return render(request, "portfolio/invoice_detail.html", {
        "invoice": invoice,
        "allocations": invoice.allocations.select_related("payment"),
        "credit_notes": invoice.credit_notes.all(),
    })


# GDPR requests (portfolio/privacy.py). POST only: both acts are recorded in the audit, so
# neither may be set off by a link, a prefetch or a crawler.

@login_required
@permission_required("portfolio.export_debtor_data", raise_exception=True)
@require_POST
def debtor_export(request: PageRequest, pk: int) -> HttpResponse:
    debtor = selectors.debtor_get_for_user(user=request.user, pk=pk)
    data = privacy.debtor_data_export(debtor=debtor, actor=request.user)
    response = HttpResponse(json.dumps(data, indent=2, ensure_ascii=False),
                            content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="debtor-{debtor.pk}-data.json"'
    return response


@login_required
@permission_required("portfolio.erase_debtor_data", raise_exception=True)
@require_POST
def debtor_erase(request: PageRequest, pk: int) -> HttpResponse:
    debtor = selectors.debtor_get_for_user(user=request.user, pk=pk)
    if request.POST.get("confirm") != "yes":
        messages.error(request, _("Tick the box to confirm that the debtor asked for erasure."))
        return redirect("portfolio:debtor_detail", pk=debtor.pk)
    outcome = privacy.debtor_erase(debtor=debtor, actor=request.user)
    (messages.success if outcome.erased else messages.warning)(request, outcome.message)
    return redirect("portfolio:debtor_detail", pk=debtor.pk)
