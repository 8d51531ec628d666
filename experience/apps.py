"""The experience after collection: NPS, CES and CSAT surveys measured beside the cash, the
closed loop on detractors, and the comparison of contact strategies (SPEC §4-5)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExperienceConfig(AppConfig):
    name = "experience"
    label = "experience"
    verbose_name = _("Experience")

    def ready(self) -> None:
        from experience.followup_views import control_panel_context
        from recovery.control_panels import ControlPanel, control_panel_register

        # Overdue follow-ups of the closed loop in the team leader's control room.
        control_panel_register(ControlPanel(
            key="experience-follow-ups", template="experience/follow_ups/_control_panel.html",
            context=control_panel_context, order=50))
        # The relational sampling beat task lives beside its service (autodiscovery finds
        # tasks.py only), and this app's part of a debtor's data export and erasure
        # (portfolio/privacy.py).
        from experience import sampling  # noqa: F401
        from experience.privacy import SECTION as PRIVACY_SECTION
        from portfolio.privacy import privacy_section_register

        privacy_section_register(PRIVACY_SECTION)
