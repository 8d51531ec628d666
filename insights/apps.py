"""Insights: the named KPIs of SPEC §3, the dashboards built on them, the client portal and the
staffing forecast."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightsConfig(AppConfig):
    name = "insights"
    label = "insights"
    verbose_name = _("Insights")
