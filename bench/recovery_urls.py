"""Bench-only URLs for bench/recovery_agents.py (loaded by bench/recovery_settings.py, never by
production): every production URL, plus

- `bench/bare/`: a bare DRF endpoint doing one query (the throughput reference);
- `bench/claim-next/` and `bench/cases/<id>/contacts/`: a minimal pair of endpoints calling the
  collections desk's real services (case_claim_next, contact_outcome_record), for as long as
  the recovery API does not have them.

The clock is the bench's: a Tuesday 10:00 in Rome (inside every default call window) plus the
seconds since the run started (FIDO_BENCH_EPOCH), so a run at night measures the same work.
"""

from __future__ import annotations

import datetime as dt
import os
import time
import zoneinfo
from decimal import Decimal

from django.urls import path
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from access.errors import DomainError
from config.urls import urlpatterns as production_urlpatterns
from portfolio.models import Client
from recovery import services
from recovery.models import CollectionCase

WORK_TIME = dt.datetime(2026, 9, 15, 10, 0, tzinfo=zoneinfo.ZoneInfo("Europe/Rome"))
EPOCH = float(os.environ.get("FIDO_BENCH_EPOCH", "0") or time.time())


def bench_now() -> dt.datetime:
    return WORK_TIME + dt.timedelta(seconds=time.time() - EPOCH)


class BareView(APIView):
    def get(self, request: Request) -> Response:
        return Response({"clients": Client.objects.filter(pk__gt=0).count()})


class ClaimNextView(APIView):
    def post(self, request: Request) -> Response:
        case = services.case_claim_next(agent=request.user, now=bench_now())
        if case is None:
            return Response(status=204)
        return Response({"id": case.pk, "debtor": case.debtor_id})


class ContactView(APIView):
    def post(self, request: Request, pk: int) -> Response:
        case = CollectionCase.objects.filter(pk=pk).first()
        if case is None:
            return Response({"detail": "No such case."}, status=404)
        body = request.data
        if not isinstance(body, dict):
            return Response({"detail": "A JSON object is expected."}, status=400)
        if body.get("answered"):
            data = services.ContactData(
                attempt_result="answered", party="right_party_verified",
                mood_start="worried", mood_end="calm",
                empathy_markers=["circumstances_noted", "options_offered"],
                outcomes=["promise_to_pay"], promise_amount=Decimal("20.00"),
                promise_date=WORK_TIME.date() + dt.timedelta(days=7))
        else:
            data = services.ContactData(attempt_result="no_answer")
        try:
            contact = services.contact_outcome_record(case=case, agent=request.user, data=data,
                                                      now=bench_now())
        except DomainError as error:
            return Response({"detail": str(error)}, status=400)
        return Response({"id": contact.pk}, status=201)


urlpatterns = [
    path("bench/bare/", BareView.as_view()),
    path("bench/claim-next/", ClaimNextView.as_view()),
    path("bench/cases/<int:pk>/contacts/", ContactView.as_view()),
    *production_urlpatterns,
]
