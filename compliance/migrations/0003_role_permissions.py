"""Give the role groups their compliance permissions (access/roles.py is the list).

Role groups re-sync after every migrate, but on a fresh database that runs before this app's
permissions exist; creating them here makes a new database right on its first migrate."""

from django.contrib.auth.management import create_permissions
from django.db import migrations


def grant(apps, schema_editor):
    from access.roles import sync_role_groups

    app_config = apps.get_app_config("compliance")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    sync_role_groups(permission_model=apps.get_model("auth", "Permission"),
                     group_model=apps.get_model("auth", "Group"))


class Migration(migrations.Migration):
    dependencies = [
        ("compliance", "0002_seed_rule_packs"),
        ("access", "0002_role_groups"),
    ]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
