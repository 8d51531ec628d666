from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CreditConfig(AppConfig):
    name = "credit"
    verbose_name = _("Credit limits")

    def ready(self) -> None:
        from credit.panels import credit_panel_context
        from portfolio.panels import DebtorPanel, debtor_panel_register

        debtor_panel_register(DebtorPanel(key="credit", template="credit/_debtor_panel.html",
                                          context=credit_panel_context, order=20))
        # Its part of a debtor's data export and erasure (portfolio/privacy.py).
        from credit.privacy import SECTION as PRIVACY_SECTION
        from portfolio.privacy import privacy_section_register

        privacy_section_register(PRIVACY_SECTION)
