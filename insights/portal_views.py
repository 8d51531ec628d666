"""The client portal: a client's own portfolio, debtors, agreements and results, and every table
as a CSV or XLSX download.

Views stay thin: they fetch the client for the user (insights.portal_selectors, through
access.scoping), read, and render. `?client=` picks one of the user's clients (404 for any
other); `?as_of=` fixes the day the figures are read on (today in the client's reporting time
zone by default).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from access.errors import DomainError
from insights import exports
from insights import portal_selectors as selectors
from insights.portal_selectors import DebtorStatus
from portfolio import validation
from portfolio.models import Client, Debtor, Invoice
from portfolio.selectors import AGING_BUCKETS
from recovery.models import Dispute, PaymentPlan, PromiseToPay

# Every portal page reads the client's ledger; client viewers hold this permission.
_PERMISSION = "portfolio.view_invoice"

BUCKET_LABELS = {
    "current": gettext_lazy("Not yet due"),
    "d1_30": gettext_lazy("1-30 days"),
    "d31_60": gettext_lazy("31-60 days"),
    "d61_90": gettext_lazy("61-90 days"),
    "d91_120": gettext_lazy("91-120 days"),
    "d121_180": gettext_lazy("121-180 days"),
    "d181_plus": gettext_lazy("181 days and more"),
}

DEBTOR_STATUS_LABELS = {
    DebtorStatus.ALL: gettext_lazy("All debtors"),
    DebtorStatus.OVERDUE: gettext_lazy("With overdue invoices"),
    DebtorStatus.IN_COLLECTION: gettext_lazy("In collection"),
    DebtorStatus.DISPUTED: gettext_lazy("With an open dispute"),
    DebtorStatus.SETTLED: gettext_lazy("Nothing open"),
}


def portal_view(view: Callable[..., Any]) -> Callable[..., Any]:
    return login_required(permission_required(_PERMISSION, raise_exception=True)(view))


def _client_and_day(request: HttpRequest) -> tuple[Client, dt.date]:
    client = selectors.portal_client_get(user=request.user, pk=request.GET.get("client"))
    today = timezone.localtime(timezone.now(), ZoneInfo(client.reporting_timezone)).date()
    return client, validation.date_query_param(request.GET, "as_of", default=today)


def _choice(request: HttpRequest, name: str, allowed: Sequence[str]) -> str:
    """A filter from the query string; an unknown value is refused, naming it and the
    values that exist (access.middleware answers 400)."""
    value = request.GET.get(name, "")
    if value not in allowed:
        raise DomainError(
            _("Unknown %(name)s %(value)r: choose one of %(allowed)s.")
            % {"name": name, "value": value[:40],
               "allowed": ", ".join(repr(each) for each in allowed if each)},
            code="bad_filter", field=name)
    return value


def _search(request: HttpRequest) -> str:
    return request.GET.get("q", "").strip()[:100]


def _page(request: HttpRequest, queryset: Any) -> Page:
    return Paginator(queryset, selectors.PAGE_SIZE).get_page(request.GET.get("page"))


def _query(request: HttpRequest, **changes: object) -> str:
    """The current query string with `changes` applied (for paging and export links)."""
    params = {key: str(value) for key, value in request.GET.items() if key != "page"}
    params.update({key: str(value) for key, value in changes.items()})
    return urlencode({key: value for key, value in params.items() if value != ""})


def _base(request: HttpRequest, client: Client, as_of: dt.date, section: str) -> dict[str, Any]:
    clients = list(selectors.portal_clients(user=request.user)[:50])
    several = len(clients) > 1
    return {"client": client, "as_of": as_of, "section": section,
            "clients": clients if several else [], "query": _query(request),
            # Links name the client only for a user with several.
            "client_query": urlencode({"client": client.pk}) if several else ""}


# --- Pages -----------------------------------------------------------------------------------

@portal_view
def portal_home(request: HttpRequest) -> HttpResponse:
    client, as_of = _client_and_day(request)
    aging = selectors.portal_aging(client=client, as_of=as_of)
    months = selectors.portal_months(client=client, as_of=as_of)
    nps_30 = selectors.portal_nps(client=client, as_of=as_of, days=30)
    nps_90 = selectors.portal_nps(client=client, as_of=as_of, days=90)
    main = next((row for row in aging if row.currency == client.currency),
                aging[0] if aging else None)
    chart = {
        "aging": {"labels": [str(BUCKET_LABELS[key]) for key, _lo, _hi in AGING_BUCKETS]
                  + [_("Disputed")],
                  "values": ([float(main.buckets[key]) for key, _lo, _hi in AGING_BUCKETS]
                             + [float(main.disputed)]) if main else [],
                  "currency": main.currency if main else client.currency},
        "months": {"labels": [month.month.strftime("%Y-%m") for month in months],
                   "cash": [float(sum((m.amount for m in month.cash
                                       if m.currency == client.currency), start=0))
                            for month in months],
                   "nps": [month.nps.score for month in months],
                   "currency": client.currency},
    }
    return render(request, "insights/portal/home.html", {
        **_base(request, client, as_of, "home"),
        "tiles": selectors.portal_tiles(client=client, as_of=as_of),
        "aging": aging, "buckets": [(key, BUCKET_LABELS[key]) for key, _lo, _hi in AGING_BUCKETS],
        "months": months, "nps_30": nps_30, "nps_90": nps_90,
        "chart": chart,
    })


@portal_view
def portal_debtors(request: HttpRequest) -> HttpResponse:
    client, as_of = _client_and_day(request)
    status = _choice(request, "status", DebtorStatus.VALUES)
    search = _search(request)
    page = _page(request, selectors.portal_debtor_list(client=client, search=search,
                                                        status=status, as_of=as_of))
    balances = selectors.portal_debtor_balances(debtor_ids=[d.pk for d in page], as_of=as_of)
    rows = [(debtor, balances.get(debtor.pk)) for debtor in page]
    return render(request, "insights/portal/debtors.html", {
        **_base(request, client, as_of, "debtors"), "page": page, "rows": rows,
        "search": search, "status": status, "statuses": DEBTOR_STATUS_LABELS.items(),
    })


@portal_view
def portal_debtor(request: HttpRequest, pk: int) -> HttpResponse:
    client, as_of = _client_and_day(request)
    debtor = selectors.portal_debtor_get(user=request.user, client=client, pk=pk)
    situation = selectors.portal_debtor_situation(user=request.user, debtor=debtor, as_of=as_of)
    return render(request, "insights/portal/debtor.html", {
        **_base(request, client, as_of, "debtors"), "debtor": debtor, "situation": situation,
        "buckets": [(key, BUCKET_LABELS[key]) for key, _lo, _hi in AGING_BUCKETS],
    })


def _agreement_page(request: HttpRequest, *, section: str, template: str,
                    choices: Any, listing: Callable[..., Any]) -> HttpResponse:
    client, as_of = _client_and_day(request)
    status = _choice(request, "status", ["", *choices.values])
    page = _page(request, listing(client=client, status=status))
    return render(request, template, {
        **_base(request, client, as_of, section), "page": page, "status": status,
        "statuses": [("", _("Any status")), *choices.choices],
    })


@portal_view
def portal_promises(request: HttpRequest) -> HttpResponse:
    return _agreement_page(request, section="promises", template="insights/portal/promises.html",
                           choices=PromiseToPay.Status, listing=selectors.portal_promise_list)


@portal_view
def portal_plans(request: HttpRequest) -> HttpResponse:
    return _agreement_page(request, section="plans", template="insights/portal/plans.html",
                           choices=PaymentPlan.Status, listing=selectors.portal_plan_list)


@portal_view
def portal_disputes(request: HttpRequest) -> HttpResponse:
    return _agreement_page(request, section="disputes", template="insights/portal/disputes.html",
                           choices=Dispute.Status, listing=selectors.portal_dispute_list)


# --- Exports ---------------------------------------------------------------------------------
# One route per table and format (insights/portal_urls.py), with the page's own filters.

def _aging_table(request: HttpRequest, client: Client, as_of: dt.date) -> exports.Table:
    rows = selectors.portal_aging(client=client, as_of=as_of)
    return exports.Table(
        name=_("aging"),
        headers=[_("Currency"), *[str(BUCKET_LABELS[key]) for key, _lo, _hi in AGING_BUCKETS],
                 _("Disputed"), _("Total open"), _("Invoices")],
        rows=[[row.currency, *[row.buckets[key] for key, _lo, _hi in AGING_BUCKETS],
               row.disputed, row.total, row.invoice_count] for row in rows])


def _months_table(request: HttpRequest, client: Client, as_of: dt.date) -> exports.Table:
    def rows() -> Iterator[list[Any]]:
        for month in selectors.portal_months(client=client, as_of=as_of):
            low, high = month.nps.interval or (None, None)
            nps = [month.nps.n, _round(month.nps.score), _round(low), _round(high)]
            cash = month.cash or [selectors.Money(client.currency, selectors.ZERO_MONEY)]
            for index, money in enumerate(cash):
                yield [month.month.strftime("%Y-%m"), money.currency, money.amount,
                       *(nps if index == 0 else [None] * 4)]

    return exports.Table(
        name=_("recovery by month"),
        headers=[_("Month"), _("Currency"), _("Cash recovered"), _("Transactional NPS answers"),
                 _("Transactional NPS"),
                 # xgettext:no-python-format
                 _("NPS 95% interval low"),
                 # xgettext:no-python-format
                 _("NPS 95% interval high")],
        rows=rows())


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _debtors_table(request: HttpRequest, client: Client, as_of: dt.date) -> exports.Table:
    status = _choice(request, "status", DebtorStatus.VALUES)
    debtors = (selectors.portal_debtor_list(client=client, search=_search(request),
                                            status=status, as_of=as_of)
               .only("id", "external_ref", "name", "city", "kind"))

    def rows() -> Iterator[list[Any]]:
        # Balances per chunk of debtors: one query per CHUNK_ROWS debtors.
        chunk: list[Debtor] = []
        for debtor in debtors.iterator(chunk_size=exports.CHUNK_ROWS):
            chunk.append(debtor)
            if len(chunk) >= exports.CHUNK_ROWS:
                yield from _debtor_rows(chunk, client, as_of)
                chunk = []
        yield from _debtor_rows(chunk, client, as_of)

    return exports.Table(
        name=_("debtors"),
        headers=[_("Customer code"), _("Debtor"), _("City"), _("Currency"), _("Open balance"),
                 _("Overdue")],
        rows=rows())


def _debtor_rows(chunk: list[Debtor], client: Client, as_of: dt.date) -> Iterator[list[Any]]:
    if not chunk:
        return
    balances = selectors.portal_debtor_balances(debtor_ids=[d.pk for d in chunk], as_of=as_of)
    for debtor in chunk:
        balance = balances.get(debtor.pk)
        if balance is None:
            yield [debtor.external_ref, debtor.name, debtor.city, client.currency,
                   selectors.ZERO_MONEY, selectors.ZERO_MONEY]
            continue
        overdue = {money.currency: money.amount for money in balance.overdue}
        for money in balance.open_balance:
            yield [debtor.external_ref, debtor.name, debtor.city, money.currency, money.amount,
                   overdue.get(money.currency, selectors.ZERO_MONEY)]


def _promises_table(request: HttpRequest, client: Client, as_of: dt.date) -> exports.Table:
    status = _choice(request, "status", ["", *PromiseToPay.Status.values])
    return exports.Table(
        name=_("promises to pay"),
        headers=[_("Customer code"), _("Debtor"), _("Promised for"), _("Amount"), _("Currency"),
                 _("Status"), _("Paid"), _("Made on")],
        rows=exports.rows_of(
            selectors.portal_promise_list(client=client, status=status),
            lambda p: [p.debtor.external_ref, p.debtor.name, p.promised_date, p.amount,
                       p.currency, p.get_status_display(), p.paid_amount, p.created_at]))


def _plans_table(request: HttpRequest, client: Client, as_of: dt.date) -> exports.Table:
    status = _choice(request, "status", ["", *PaymentPlan.Status.values])
    return exports.Table(
        name=_("payment plans"),
        headers=[_("Customer code"), _("Debtor"), _("Status"), _("Total"), _("Currency"),
                 _("Instalments"), _("Paid"), _("Next instalment due"), _("Created")],
        rows=exports.rows_of(
            selectors.portal_plan_list(client=client, status=status),
            lambda p: [p.debtor.external_ref, p.debtor.name, p.get_status_display(), p.total,
                       p.currency, p.instalment_count, p.paid, p.next_due, p.created_at]))


def _disputes_table(request: HttpRequest, client: Client, as_of: dt.date) -> exports.Table:
    status = _choice(request, "status", ["", *Dispute.Status.values])
    return exports.Table(
        name=_("disputes"),
        headers=[_("Customer code"), _("Debtor"), _("Reason"), _("Status"), _("Invoices"),
                 _("Amount disputed"), _("Opened")],
        rows=exports.rows_of(
            selectors.portal_dispute_list(client=client, status=status),
            lambda d: [d.debtor.external_ref, d.debtor.name, d.get_reason_display(),
                       d.get_status_display(), d.invoice_count, d.disputed_amount, d.opened_at]))


EXPORTS: dict[str, Callable[[HttpRequest, Client, dt.date], exports.Table]] = {
    "aging": _aging_table,
    "months": _months_table,
    "debtors": _debtors_table,
    "promises": _promises_table,
    "plans": _plans_table,
    "disputes": _disputes_table,
}


@portal_view
def portal_export(request: HttpRequest, *, table: str, fmt: str) -> StreamingHttpResponse:
    client, as_of = _client_and_day(request)
    return exports.export_response(EXPORTS[table](request, client, as_of), fmt)


@portal_view
def portal_debtor_invoices_export(request: HttpRequest, pk: int, *,
                                  fmt: str) -> StreamingHttpResponse:
    """The debtor page's unpaid invoices."""
    client, as_of = _client_and_day(request)
    debtor = selectors.portal_debtor_get(user=request.user, client=client, pk=pk)
    invoices = Invoice.objects.filter(client=client, debtor=debtor,
                                      status__in=selectors.UNSETTLED).order_by("due_date", "id")
    return exports.export_response(exports.Table(
        name=f"{_('invoices')} {debtor.external_ref}",
        headers=[_("Invoice"), _("Issued"), _("Due"), _("Days overdue"), _("Amount"),
                 _("Open balance"), _("Currency"), _("Status")],
        rows=exports.rows_of(invoices, lambda i: [
            i.number, i.issue_date, i.due_date, max((as_of - i.due_date).days, 0), i.amount,
            i.open_balance, i.currency, i.get_status_display()])), fmt)
