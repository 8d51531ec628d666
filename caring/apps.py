from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CaringConfig(AppConfig):
    name = "caring"
    verbose_name = _("Caring")
