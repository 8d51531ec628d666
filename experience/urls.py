"""HTML pages of the experience app, under the i18n prefix experience/."""

from django.urls import path

from experience import report_views

app_name = "experience"

urlpatterns: list = [
    path("reports/nps/", report_views.nps_report, name="nps_report"),
    path("reports/strategies/", report_views.strategy_report, name="strategy_report"),
]
