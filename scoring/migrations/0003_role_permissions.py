"""Give the roles scoring's permissions (access/roles.py is the list).

access re-syncs the role groups after every migrate, but on a fresh database that runs before
Django creates the permissions of apps listed after access; so, like access 0002, create them
here and sync once.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations


def sync_roles(apps, schema_editor):
    from access.roles import sync_role_groups

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    sync_role_groups(permission_model=apps.get_model("auth", "Permission"),
                     group_model=apps.get_model("auth", "Group"))


class Migration(migrations.Migration):
    dependencies = [
        ("scoring", "0002_scoring_permissions"),
        ("access", "0002_role_groups"),
    ]
    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
