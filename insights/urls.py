"""HTML pages of the insights app, under the i18n prefix insights/."""

from django.urls import include, path

app_name = "insights"

urlpatterns: list = [
    path("portal/", include("insights.portal_urls")),
]
