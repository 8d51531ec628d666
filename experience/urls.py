"""HTML pages of the experience app, under the i18n prefix experience/."""

from django.urls import path  # noqa: F401

app_name = "experience"

urlpatterns: list = []
