from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplianceConfig(AppConfig):
    name = "compliance"
    label = "compliance"
    verbose_name = _("Contact compliance")

    def ready(self) -> None:
        from compliance.panels import compliance_panel_context
        from portfolio.panels import DebtorPanel, debtor_panel_register

        debtor_panel_register(DebtorPanel(
            key="compliance", template="compliance/_debtor_panel.html",
            context=compliance_panel_context, order=10))
