from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from portfolio import selectors, validation
from portfolio.panels import debtor_panels_for


def _as_of(request: HttpRequest) -> dt.date:
    """`?as_of=`: today by default; a bad one is a 400 naming it (access.middleware)."""
    return validation.date_query_param(request.GET, "as_of", default=timezone.localdate())


@login_required
def client_detail(request: HttpRequest, pk: int) -> HttpResponse:
    client = selectors.client_get_for_user(user=request.user, pk=pk)
    as_of = _as_of(request)
    aging = selectors.aging_summary(selectors.invoice_list(user=request.user, client=client),
                                    as_of=as_of)
    return render(request, "portfolio/client_detail.html",
                  {"client": client, "aging": aging, "as_of": as_of,
                   "buckets": selectors.AGING_BUCKETS})


@login_required
def debtor_list(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()[:100]
    client = None
    if request.GET.get("client"):
        client = selectors.client_get_for_user(user=request.user, pk=request.GET["client"])
    debtors = selectors.debtor_list(user=request.user, client=client, search=search)
    page = Paginator(debtors, 50).get_page(request.GET.get("page"))
    template = "portfolio/debtor_list.html#rows" if request.htmx else "portfolio/debtor_list.html"
    return render(request, template, {"page": page, "search": search, "client": client})


@login_required
def debtor_detail(request: HttpRequest, pk: int) -> HttpResponse:
    debtor = selectors.debtor_get_for_user(user=request.user, pk=pk)
    invoices = selectors.invoice_list(user=request.user, debtor=debtor).order_by("-due_date")[:200]
    payments = selectors.payment_list(user=request.user, debtor=debtor)[:100]
    aging = selectors.aging_summary(selectors.invoice_list(user=request.user, debtor=debtor),
                                    as_of=_as_of(request))
    return render(request, "portfolio/debtor_detail.html", {
        "debtor": debtor, "invoices": invoices, "payments": payments, "aging": aging,
        "buckets": selectors.AGING_BUCKETS,
        "contact_points": debtor.contact_points.all(),
        "panels": debtor_panels_for(request, debtor),
    })


@login_required
def invoice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = selectors.invoice_get_for_user(user=request.user, pk=pk)
    return render(request, "portfolio/invoice_detail.html", {
        "invoice": invoice,
        "allocations": invoice.allocations.select_related("payment"),
        "credit_notes": invoice.credit_notes.all(),
    })
