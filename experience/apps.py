"""The experience after collection: NPS, CES and CSAT surveys measured beside the cash, the
closed loop on detractors, and the comparison of contact strategies (SPEC §4-5)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExperienceConfig(AppConfig):
    name = "experience"
    label = "experience"
    verbose_name = _("Experience")
