"""The client portal's pages and downloads, included by insights/urls.py under portal/.

Each table has one route per format, with no keyword in the URL: the tenant walk
(tests/access/test_tenant_walk.py) asks every route with another client's ids in the query
string, so every download is walked as well as every page.
"""

from django.urls import path

from insights import exports, portal_views

urlpatterns = [
    path("", portal_views.portal_home, name="portal"),
    path("debtors/", portal_views.portal_debtors, name="portal_debtors"),
    path("debtors/<int:pk>/", portal_views.portal_debtor, name="portal_debtor"),
    path("promises/", portal_views.portal_promises, name="portal_promises"),
    path("plans/", portal_views.portal_plans, name="portal_plans"),
    path("disputes/", portal_views.portal_disputes, name="portal_disputes"),
]
urlpatterns += [
    path(f"{table}.{fmt}", portal_views.portal_export, {"table": table, "fmt": fmt},
         name=f"portal_{table}_{fmt}")
    for table in portal_views.EXPORTS
    for fmt in exports.FORMATS
]
urlpatterns += [
    path(f"debtors/<int:pk>/invoices.{fmt}", portal_views.portal_debtor_invoices_export,
         {"fmt": fmt}, name=f"portal_debtor_invoices_{fmt}")
    for fmt in exports.FORMATS
]
