"""The tenant walk (tests/access/test_tenant_walk.py) reaches every portal page, download and
the staffing forecast: each is found among the walked routes, and each download route has no
URL keyword the walk could not fill (its table and format are fixed in the route)."""

from __future__ import annotations

from django.urls import reverse

from insights import exports
from insights.portal_views import EXPORTS
from tests.access.test_tenant_walk import _routes


def test_the_walk_finds_every_portal_route_and_download():
    names = {route.name for route in _routes()}
    expected = {"insights:portal", "insights:portal_debtors", "insights:portal_debtor",
                "insights:portal_promises", "insights:portal_plans", "insights:portal_disputes",
                "insights:staffing", "home"}
    expected |= {f"insights:portal_{table}_{fmt}" for table in EXPORTS for fmt in exports.FORMATS}
    expected |= {f"insights:portal_debtor_invoices_{fmt}" for fmt in exports.FORMATS}

    assert expected <= names, sorted(expected - names)


def test_download_routes_need_no_keyword_but_a_debtors_id():
    for table in EXPORTS:
        for fmt in exports.FORMATS:
            assert reverse(f"insights:portal_{table}_{fmt}") == f"/insights/portal/{table}.{fmt}"
    assert reverse("insights:portal_debtor_invoices_csv", args=[7]) == \
        "/insights/portal/debtors/7/invoices.csv"
