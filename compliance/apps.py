from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplianceConfig(AppConfig):
    name = "compliance"
    label = "compliance"
    verbose_name = _("Contact compliance")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from compliance.features import ATTEMPTS_BLOCK
        from compliance.panels import compliance_panel_context
        from compliance.rulecache import rules_changed
        from portfolio.panels import DebtorPanel, debtor_panel_register
        from scoring.features import feature_block_register

        # The process's rules snapshot is dropped when a rule row is saved or deleted here.
        for name in ("RulePack", "RulePackVersion", "PackRule", "ClientContactRule"):
            model = self.get_model(name)
            post_save.connect(rules_changed, sender=model, dispatch_uid=f"{name}_saved")
            post_delete.connect(rules_changed, sender=model, dispatch_uid=f"{name}_deleted")
        # Attempts that did not reach the debtor become a risk feature (scoring/features.py).
        feature_block_register(ATTEMPTS_BLOCK)
        debtor_panel_register(DebtorPanel(
            key="compliance", template="compliance/_debtor_panel.html",
            context=compliance_panel_context, order=10))
        # Its part of a debtor's data export and erasure (portfolio/privacy.py).
        from compliance.privacy import SECTION as PRIVACY_SECTION
        from portfolio.privacy import privacy_section_register

        privacy_section_register(PRIVACY_SECTION)
