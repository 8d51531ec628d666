"""Give the role groups their compliance permissions.

The table below is a copy of compliance's rows of access/roles.py as of this migration (a migration
holds its own data). Role groups are synced again after every migrate, but on a fresh database
that runs before this app's permissions exist; granting them here makes a new database right on
its first migrate.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

# "app_label.codename" per role; "*" is every permission of compliance.
_ROLE_PERMISSIONS = {
    'agent': [
        'compliance.add_contactattempt', 'compliance.add_contacthold',
        'compliance.add_contactoverride', 'compliance.add_contactrestriction',
        'compliance.view_clientcontactrule', 'compliance.view_contactattempt',
        'compliance.view_contactdecision', 'compliance.view_contacthold',
        'compliance.view_contactoverride', 'compliance.view_contactrestriction',
        'compliance.view_packrule', 'compliance.view_rulepack', 'compliance.view_rulepackversion'
    ],
    'team_leader': [
        'compliance.add_contactattempt', 'compliance.add_contacthold',
        'compliance.add_contactoverride', 'compliance.add_contactrestriction',
        'compliance.approve_contactoverride', 'compliance.change_contacthold',
        'compliance.change_contactoverride', 'compliance.view_clientcontactrule',
        'compliance.view_contactattempt', 'compliance.view_contactdecision',
        'compliance.view_contacthold', 'compliance.view_contactoverride',
        'compliance.view_contactrestriction', 'compliance.view_packrule', 'compliance.view_rulepack',
        'compliance.view_rulepackversion'
    ],
    'credit_manager': [
        'compliance.add_clientcontactrule', 'compliance.add_packrule', 'compliance.add_rulepack',
        'compliance.add_rulepackversion', 'compliance.change_clientcontactrule',
        'compliance.change_packrule', 'compliance.change_rulepack',
        'compliance.change_rulepackversion', 'compliance.view_clientcontactrule',
        'compliance.view_contactattempt', 'compliance.view_contactdecision',
        'compliance.view_contacthold', 'compliance.view_contactoverride',
        'compliance.view_contactrestriction', 'compliance.view_packrule', 'compliance.view_rulepack',
        'compliance.view_rulepackversion'
    ],
    'credit_committee': [
        'compliance.view_clientcontactrule', 'compliance.view_contactattempt',
        'compliance.view_contactdecision', 'compliance.view_contacthold',
        'compliance.view_contactoverride', 'compliance.view_contactrestriction',
        'compliance.view_packrule', 'compliance.view_rulepack', 'compliance.view_rulepackversion'
    ],
    'client_viewer': [
        'compliance.view_contactdecision'
    ],
    'administrator': [
        '*'
    ],
}


def grant(apps, schema_editor):
    app_config = apps.get_app_config("compliance")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    available = {codename: pk for pk, codename in apps.get_model("auth", "Permission").objects
                 .filter(content_type__app_label="compliance").values_list("pk", "codename")}
    group_model = apps.get_model("auth", "Group")
    for role, wanted in _ROLE_PERMISSIONS.items():
        group, _created = group_model.objects.get_or_create(name=role)
        codenames = (available if "*" in wanted
                     else [name.split(".", 1)[1] for name in wanted
                           if name.split(".", 1)[1] in available])
        group.permissions.add(*[available[codename] for codename in codenames])


class Migration(migrations.Migration):
    dependencies = [
        ("compliance", "0002_seed_rule_packs"),
        ("access", "0002_role_groups"),
    ]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
