"""The collections desk (post-due): overdue cases, the agents' queue, contacts and their
outcomes, promises to pay, payment plans, disputes and escalation.

The app is called `recovery` ("recupero crediti") and not `collections`: a top-level package
named `collections` would shadow the standard library's module of that name (Django itself
imports it, so nothing would start). Its verbose name says Collections on every screen.
"""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecoveryConfig(AppConfig):
    name = "recovery"
    label = "recovery"
    verbose_name = _("Collections")

    def ready(self) -> None:
        from portfolio.panels import DebtorPanel, debtor_panel_register
        from recovery.panels import recovery_panel_context

        # The shared contact story on the debtor page, below the score and contact rules.
        debtor_panel_register(DebtorPanel(key="recovery", template="recovery/_debtor_panel.html",
                                          context=recovery_panel_context, order=20))
        # The per-client plan policy lives in its own module (recovery/plan_models.py).
        # ... and its beat task in recovery/plan_tasks.py (autodiscovery finds tasks.py only).
        # Its part of a debtor's data export and erasure (portfolio/privacy.py).
        from portfolio.privacy import privacy_section_register
        from recovery import plan_models, plan_tasks  # noqa: F401
        from recovery.privacy import SECTION as PRIVACY_SECTION

        privacy_section_register(PRIVACY_SECTION)
