"""Give the role groups scoring's permissions.

The table below is a copy of scoring's rows of access/roles.py as of this migration (a migration
holds its own data). Role groups are synced again after every migrate, but on a fresh database
that runs before this app's permissions exist; granting them here makes a new database right on
its first migrate.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

# "app_label.codename" per role; "*" is every permission of scoring.
_ROLE_PERMISSIONS = {
    'agent': [
        'scoring.view_debtorscore', 'scoring.view_scoringmodel'
    ],
    'team_leader': [
        'scoring.view_debtorscore', 'scoring.view_scoringmodel'
    ],
    'credit_manager': [
        'scoring.promote_scoringmodel', 'scoring.run_scoringmodel', 'scoring.train_scoringmodel',
        'scoring.view_debtorscore', 'scoring.view_scoringmodel'
    ],
    'credit_committee': [
        'scoring.view_debtorscore', 'scoring.view_scoringmodel'
    ],
    'client_viewer': [
        'scoring.view_debtorscore', 'scoring.view_scoringmodel'
    ],
    'administrator': [
        '*'
    ],
}


def grant(apps, schema_editor):
    app_config = apps.get_app_config("scoring")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    available = {codename: pk for pk, codename in apps.get_model("auth", "Permission").objects
                 .filter(content_type__app_label="scoring").values_list("pk", "codename")}
    group_model = apps.get_model("auth", "Group")
    for role, wanted in _ROLE_PERMISSIONS.items():
        group, _created = group_model.objects.get_or_create(name=role)
        codenames = (available if "*" in wanted
                     else [name.split(".", 1)[1] for name in wanted
                           if name.split(".", 1)[1] in available])
        group.permissions.add(*[available[codename] for codename in codenames])


class Migration(migrations.Migration):
    dependencies = [
        ("scoring", "0002_scoring_permissions"),
        ("access", "0002_role_groups"),
    ]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
