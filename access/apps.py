from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccessConfig(AppConfig):
    name = "access"
    verbose_name = _("Access")

    def ready(self) -> None:
        from access import checks  # noqa: F401  (registers the system checks)
        from access.roles import sync_role_groups_after_migrate

        # Apps added later bring new permissions; re-sync the role groups after every migrate.
        post_migrate.connect(sync_role_groups_after_migrate, dispatch_uid="access.sync_roles")
