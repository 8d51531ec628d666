from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScoringConfig(AppConfig):
    name = "scoring"
    verbose_name = _("Scoring")

    def ready(self) -> None:
        from celery.signals import worker_process_shutdown

        from portfolio.panels import DebtorPanel, debtor_panel_register
        from scoring.views import debtor_score_panel_context

        debtor_panel_register(DebtorPanel(key="scoring", template="scoring/_debtor_panel.html",
                                          context=debtor_score_panel_context, order=5))
        # Its part of a debtor's data export and erasure (portfolio/privacy.py).
        from portfolio.privacy import privacy_section_register
        from scoring.privacy import SECTION as PRIVACY_SECTION

        privacy_section_register(PRIVACY_SECTION)
        # A worker process that stops gives its feature readers' sessions back to the server.
        worker_process_shutdown.connect(_readers_close, weak=False, dispatch_uid="scoring")


def _readers_close(**_kwargs: object) -> None:
    from scoring.prefetch import features_readers_close

    features_readers_close()
