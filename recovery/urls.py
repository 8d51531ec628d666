"""HTML pages of the collections desk, under the i18n prefix collections/."""

from django.urls import URLPattern

from recovery import plan_views

app_name = "recovery"

urlpatterns: list[URLPattern] = []

# Payment plans and disputes (recovery/plan_views.py).
urlpatterns += plan_views.urlpatterns
