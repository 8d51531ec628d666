"""The demo's GDPR requests: on first start the credit manager has already answered an access
request (a data export) and an erasure request that the law refused, so that the debtor page
shows a restricted debtor and the audit (admin) shows both."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from portfolio.models import Client, Debtor, Invoice
from portfolio.privacy import debtor_data_export, debtor_erase


def demo_privacy_requests(*, clients: list[Client], username: str = "manager") -> Debtor | None:
    manager = get_user_model().objects.filter(username=username).first()
    if manager is None or not clients:
        return None
    debtor = (Debtor.objects.filter(client=clients[0], kind=Debtor.Kind.CONSUMER,
                                    processing_restricted=False)
              .filter(pk__in=Invoice.objects.filter(client=clients[0], open_balance__gt=0)
                      .values("debtor_id"))
              .order_by("id").first())
    if debtor is None:
        return None
    debtor_data_export(debtor=debtor, actor=manager)
    debtor_erase(debtor=debtor, actor=manager)  # refused: an open balance; restricted instead
    debtor.refresh_from_db()
    return debtor
