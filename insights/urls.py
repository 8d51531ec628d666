"""HTML pages of the insights app, under the i18n prefix insights/."""

from django.urls import include, path

from insights import staffing_views

app_name = "insights"

urlpatterns: list = [
    path("portal/", include("insights.portal_urls")),
    path("staffing/", staffing_views.staffing_forecast, name="staffing"),
]
