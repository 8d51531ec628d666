"""Create one group per role with its permissions.

The role -> permission table below is a copy of access/roles.py as of this migration: a
migration holds its own data, so editing the roles later cannot change what it did. Later
changes reach the groups through `sync_role_groups`, which runs after every migrate
(tests/access/test_role_groups.py checks that a fresh database ends with the code's table).
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

# "app_label.codename" per role; "*" is every permission. Permissions of apps not migrated yet
# are skipped and granted by the sync after migrate.
_ROLE_PERMISSIONS = {
    'agent': [
        'caring.change_caringtask', 'caring.change_courtesycall', 'caring.view_caringpolicy',
        'caring.view_caringtask', 'caring.view_courtesycall', 'compliance.add_contactattempt',
        'compliance.add_contacthold', 'compliance.add_contactoverride',
        'compliance.add_contactrestriction', 'compliance.view_clientcontactrule',
        'compliance.view_contactattempt', 'compliance.view_contactdecision',
        'compliance.view_contacthold', 'compliance.view_contactoverride',
        'compliance.view_contactrestriction', 'compliance.view_packrule', 'compliance.view_rulepack',
        'compliance.view_rulepackversion', 'credit.add_creditlimitrequest',
        'credit.view_creditdecision', 'credit.view_creditlimit', 'credit.view_creditlimitrequest',
        'credit.view_financialstatement', 'portfolio.add_contactpoint', 'portfolio.change_debtor',
        'portfolio.view_client', 'portfolio.view_contactpoint', 'portfolio.view_creditnote',
        'portfolio.view_debtor', 'portfolio.view_invoice', 'portfolio.view_payment',
        'portfolio.view_paymentallocation', 'portfolio.view_paymentreversal', 'recovery.add_callback',
        'recovery.add_collectioncontact', 'recovery.add_dispute', 'recovery.add_paymentplan',
        'recovery.add_promisetopay', 'recovery.escalate_case', 'recovery.view_agentskills',
        'recovery.view_callback', 'recovery.view_casestagechange', 'recovery.view_collectioncase',
        'recovery.view_collectioncontact', 'recovery.view_dispute', 'recovery.view_disputedinvoice',
        'recovery.view_instalment', 'recovery.view_paymentplan', 'recovery.view_promisetopay',
        'recovery.work_case', 'scoring.view_debtorscore', 'scoring.view_scoringmodel'
    ],
    'team_leader': [
        'caring.change_caringtask', 'caring.change_courtesycall', 'caring.view_caringpolicy',
        'caring.view_caringtask', 'caring.view_courtesycall', 'compliance.add_contactattempt',
        'compliance.add_contacthold', 'compliance.add_contactoverride',
        'compliance.add_contactrestriction', 'compliance.approve_contactoverride',
        'compliance.change_contacthold', 'compliance.change_contactoverride',
        'compliance.view_clientcontactrule', 'compliance.view_contactattempt',
        'compliance.view_contactdecision', 'compliance.view_contacthold',
        'compliance.view_contactoverride', 'compliance.view_contactrestriction',
        'compliance.view_packrule', 'compliance.view_rulepack', 'compliance.view_rulepackversion',
        'credit.add_creditlimitrequest', 'credit.view_creditdecision', 'credit.view_creditlimit',
        'credit.view_creditlimitrequest', 'credit.view_financialstatement',
        'portfolio.add_contactpoint', 'portfolio.change_debtor', 'portfolio.view_client',
        'portfolio.view_contactpoint', 'portfolio.view_creditnote', 'portfolio.view_debtor',
        'portfolio.view_importjob', 'portfolio.view_invoice', 'portfolio.view_payment',
        'portfolio.view_paymentallocation', 'portfolio.view_paymentreversal', 'recovery.add_callback',
        'recovery.add_collectioncontact', 'recovery.add_dispute', 'recovery.add_paymentplan',
        'recovery.add_promisetopay', 'recovery.approve_paymentplan', 'recovery.change_agentskills',
        'recovery.change_dispute', 'recovery.change_paymentplan', 'recovery.escalate_case',
        'recovery.resolve_dispute', 'recovery.view_agentskills', 'recovery.view_callback',
        'recovery.view_casestagechange', 'recovery.view_collectioncase',
        'recovery.view_collectioncontact', 'recovery.view_dispute', 'recovery.view_disputedinvoice',
        'recovery.view_instalment', 'recovery.view_paymentplan', 'recovery.view_promisetopay',
        'recovery.work_case', 'recovery.work_second_level', 'scoring.view_debtorscore',
        'scoring.view_scoringmodel'
    ],
    'credit_manager': [
        'caring.add_caringpolicy', 'caring.change_caringpolicy', 'caring.view_caringpolicy',
        'caring.view_caringtask', 'caring.view_courtesycall', 'compliance.add_clientcontactrule',
        'compliance.add_packrule', 'compliance.add_rulepack', 'compliance.add_rulepackversion',
        'compliance.change_clientcontactrule', 'compliance.change_packrule',
        'compliance.change_rulepack', 'compliance.change_rulepackversion',
        'compliance.view_clientcontactrule', 'compliance.view_contactattempt',
        'compliance.view_contactdecision', 'compliance.view_contacthold',
        'compliance.view_contactoverride', 'compliance.view_contactrestriction',
        'compliance.view_packrule', 'compliance.view_rulepack', 'compliance.view_rulepackversion',
        'credit.add_creditlimitrequest', 'credit.add_credittierpolicy',
        'credit.add_financialstatement', 'credit.change_credittierpolicy',
        'credit.change_financialstatement', 'credit.decide_tier2', 'credit.view_creditdecision',
        'credit.view_creditlimit', 'credit.view_creditlimitrequest', 'credit.view_credittierpolicy',
        'credit.view_financialstatement', 'portfolio.add_contactpoint', 'portfolio.add_creditnote',
        'portfolio.add_debtor', 'portfolio.add_importjob', 'portfolio.add_invoice',
        'portfolio.add_payment', 'portfolio.add_paymentreversal', 'portfolio.change_contactpoint',
        'portfolio.change_creditnote', 'portfolio.change_debtor', 'portfolio.change_importjob',
        'portfolio.change_invoice', 'portfolio.change_payment', 'portfolio.erase_debtor_data',
        'portfolio.export_debtor_data', 'portfolio.view_client', 'portfolio.view_contactpoint',
        'portfolio.view_creditnote', 'portfolio.view_debtor', 'portfolio.view_importjob',
        'portfolio.view_invoice', 'portfolio.view_payment', 'portfolio.view_paymentallocation',
        'portfolio.view_paymentreversal', 'recovery.add_agentskills', 'recovery.approve_legal',
        'recovery.approve_paymentplan', 'recovery.change_agentskills', 'recovery.escalate_case',
        'recovery.resolve_dispute', 'recovery.view_agentskills', 'recovery.view_callback',
        'recovery.view_casestagechange', 'recovery.view_collectioncase',
        'recovery.view_collectioncontact', 'recovery.view_dispute', 'recovery.view_disputedinvoice',
        'recovery.view_instalment', 'recovery.view_paymentplan', 'recovery.view_promisetopay',
        'scoring.promote_scoringmodel', 'scoring.run_scoringmodel', 'scoring.train_scoringmodel',
        'scoring.view_debtorscore', 'scoring.view_scoringmodel'
    ],
    'credit_committee': [
        'caring.view_caringpolicy', 'caring.view_caringtask', 'caring.view_courtesycall',
        'compliance.view_clientcontactrule', 'compliance.view_contactattempt',
        'compliance.view_contactdecision', 'compliance.view_contacthold',
        'compliance.view_contactoverride', 'compliance.view_contactrestriction',
        'compliance.view_packrule', 'compliance.view_rulepack', 'compliance.view_rulepackversion',
        'credit.decide_tier3', 'credit.view_creditdecision', 'credit.view_creditlimit',
        'credit.view_creditlimitrequest', 'credit.view_financialstatement', 'portfolio.view_client',
        'portfolio.view_contactpoint', 'portfolio.view_creditnote', 'portfolio.view_debtor',
        'portfolio.view_importjob', 'portfolio.view_invoice', 'portfolio.view_payment',
        'portfolio.view_paymentallocation', 'portfolio.view_paymentreversal', 'recovery.view_callback',
        'recovery.view_casestagechange', 'recovery.view_collectioncase',
        'recovery.view_collectioncontact', 'recovery.view_dispute', 'recovery.view_disputedinvoice',
        'recovery.view_instalment', 'recovery.view_paymentplan', 'recovery.view_promisetopay',
        'scoring.view_debtorscore', 'scoring.view_scoringmodel'
    ],
    'client_viewer': [
        'caring.view_caringpolicy', 'caring.view_caringtask', 'caring.view_courtesycall',
        'compliance.view_contactdecision', 'credit.view_creditlimit', 'credit.view_creditlimitrequest',
        'portfolio.view_client', 'portfolio.view_contactpoint', 'portfolio.view_creditnote',
        'portfolio.view_debtor', 'portfolio.view_invoice', 'portfolio.view_payment',
        'portfolio.view_paymentallocation', 'portfolio.view_paymentreversal', 'recovery.view_callback',
        'recovery.view_casestagechange', 'recovery.view_collectioncase',
        'recovery.view_collectioncontact', 'recovery.view_dispute', 'recovery.view_disputedinvoice',
        'recovery.view_instalment', 'recovery.view_paymentplan', 'recovery.view_promisetopay',
        'scoring.view_debtorscore', 'scoring.view_scoringmodel'
    ],
    'administrator': [
        '*'
    ],
}


def _permission_ids(permission_model) -> dict[str, int]:
    return {f"{app_label}.{codename}": pk
            for pk, app_label, codename in permission_model.objects.values_list(
                "pk", "content_type__app_label", "codename")}


def create_role_groups(apps, schema_editor):
    # Permissions are normally created after migrate; make them now so the groups get them.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    available = _permission_ids(apps.get_model("auth", "Permission"))
    group_model = apps.get_model("auth", "Group")
    for role, wanted in _ROLE_PERMISSIONS.items():
        group, _created = group_model.objects.get_or_create(name=role)
        names = available if "*" in wanted else [name for name in wanted if name in available]
        group.permissions.set([available[name] for name in names])


def remove_role_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=list(_ROLE_PERMISSIONS)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("access", "0001_initial"),
        ("portfolio", "0002_composite_keys"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(create_role_groups, remove_role_groups)]
