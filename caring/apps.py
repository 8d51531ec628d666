from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _roles_sync(sender: Any, **kwargs: Any) -> None:
    from access.roles import sync_role_groups

    sync_role_groups()


class CaringConfig(AppConfig):
    name = "caring"
    verbose_name = _("Caring")

    def ready(self) -> None:
        # access syncs the role groups on its own post_migrate, before later apps' permissions
        # exist on a fresh database; sync again once caring's permissions are created.
        post_migrate.connect(_roles_sync, sender=self, dispatch_uid="caring.sync_roles")
