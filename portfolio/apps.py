from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortfolioConfig(AppConfig):
    name = "portfolio"
    verbose_name = _("Portfolio")

    def ready(self) -> None:
        from portfolio.privacy import PORTFOLIO_SECTIONS, privacy_section_register

        # The ledger's part of a debtor's data export and erasure (portfolio/privacy.py).
        for section in PORTFOLIO_SECTIONS:
            privacy_section_register(section)
