"""HTML pages of the insights app, under the i18n prefix insights/."""

from django.urls import path  # noqa: F401

app_name = "insights"

urlpatterns: list = []
