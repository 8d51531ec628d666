from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScoringConfig(AppConfig):
    name = "scoring"
    verbose_name = _("Scoring")

    def ready(self) -> None:
        from portfolio.panels import DebtorPanel, debtor_panel_register
        from scoring.views import debtor_score_panel_context

        debtor_panel_register(DebtorPanel(key="scoring", template="scoring/_debtor_panel.html",
                                          context=debtor_score_panel_context, order=5))
