"""HTML pages of the collections desk, under the i18n prefix collections/."""

from django.urls import URLPattern

app_name = "recovery"

urlpatterns: list[URLPattern] = []
