from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CaringConfig(AppConfig):
    name = "caring"
    verbose_name = _("Caring")

    def ready(self) -> None:
        from caring.demo import demo_history_write
        from caring.features import CALLS_BLOCK
        from portfolio.demo.loader import demo_history_writer_register
        from scoring.features import feature_block_register

        # Unreachable calls and broken promises become risk features (scoring/features.py).
        feature_block_register(CALLS_BLOCK)
        # The demo portfolio comes with caring policies and months of caring history.
        demo_history_writer_register(demo_history_write)
        # Its part of a debtor's data export and erasure (portfolio/privacy.py).
        from caring.privacy import SECTION as PRIVACY_SECTION
        from portfolio.privacy import privacy_section_register

        privacy_section_register(PRIVACY_SECTION)
