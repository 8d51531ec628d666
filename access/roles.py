"""Roles are Django groups; this module is the one list of what each role may do.

The groups are created by migration 0002; `sync_role_groups` also runs after every `migrate`
so that permissions of apps added later reach the roles without a hand-written migration each.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, Permission
from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _


class Role(TextChoices):
    AGENT = "agent", _("Collection agent")
    TEAM_LEADER = "team_leader", _("Team leader")
    CREDIT_MANAGER = "credit_manager", _("Credit manager")
    CREDIT_COMMITTEE = "credit_committee", _("Credit committee member")
    CLIENT_VIEWER = "client_viewer", _("Client viewer")
    ADMINISTRATOR = "administrator", _("Administrator")


# Roles that work inside the agency (or the client's in-house credit desk). They see the
# clients they are members of; a client viewer sees only the one client it belongs to.
STAFF_ROLES = frozenset(
    {Role.AGENT, Role.TEAM_LEADER, Role.CREDIT_MANAGER, Role.CREDIT_COMMITTEE}
)

_PORTFOLIO_MODELS = ("client", "debtor", "contactpoint", "invoice", "payment",
                     "paymentallocation", "paymentreversal", "creditnote", "importjob")

_VIEW_PORTFOLIO = {f"portfolio.view_{model}" for model in _PORTFOLIO_MODELS}
_EDIT_LEDGER = {
    f"portfolio.{action}_{model}"
    for action in ("add", "change")
    for model in ("debtor", "contactpoint", "invoice", "payment", "creditnote", "importjob")
} | {"portfolio.add_paymentreversal"}  # a payment that bounced is booked by the ledger's owners

_VIEW_CREDIT = {"credit.view_creditlimit", "credit.view_creditlimitrequest",
                "credit.view_creditdecision", "credit.view_financialstatement"}
# Agents and team leaders propose limits; credit managers also enter statements and decide
# tier 2; committee members vote on tier 3. Client viewers read their client's limits and
# requests but never decide (SPEC §6: the decision is the agency's credit staff's).
_PROPOSE_CREDIT = {"credit.add_creditlimitrequest"}
_MANAGE_CREDIT = _VIEW_CREDIT | _PROPOSE_CREDIT | {
    "credit.add_financialstatement", "credit.change_financialstatement",
    "credit.view_credittierpolicy", "credit.change_credittierpolicy",
    "credit.add_credittierpolicy", "credit.decide_tier2",
}
# Contact compliance: every staff role reads packs and decisions; credit managers change packs
# and client contract rules; agents record what debtors ask and request overrides; team
# leaders approve them. Client viewers see the decisions about their own debtors.
_VIEW_COMPLIANCE = {
    f"compliance.view_{model}"
    for model in ("rulepack", "rulepackversion", "packrule", "clientcontactrule", "contacthold",
                  "contactrestriction", "contactattempt", "contactdecision", "contactoverride")
}
_AGENT_COMPLIANCE = {"compliance.add_contactoverride", "compliance.add_contactattempt",
                     "compliance.add_contactrestriction", "compliance.add_contacthold"}
_LEADER_COMPLIANCE = _AGENT_COMPLIANCE | {"compliance.approve_contactoverride",
                                          "compliance.change_contactoverride",
                                          "compliance.change_contacthold"}
_EDIT_COMPLIANCE_RULES = {
    f"compliance.{action}_{model}"
    for action in ("add", "change")
    for model in ("rulepack", "rulepackversion", "packrule", "clientcontactrule")
}

# Caring: credit managers own policies; agents and team leaders work the calls; everyone who
# sees a client reads its policies and calls.
_VIEW_CARING = {"caring.view_caringpolicy", "caring.view_courtesycall", "caring.view_caringtask"}
_WORK_CALLS = {"caring.change_courtesycall", "caring.change_caringtask"}
_EDIT_CARING_POLICY = {"caring.add_caringpolicy", "caring.change_caringpolicy"}

# Scoring: every staff role and client viewers read scores and the model registry of their
# clients; credit managers (and administrators, who hold everything) train, promote and run.
_VIEW_SCORING = {"scoring.view_scoringmodel", "scoring.view_debtorscore"}
_MANAGE_SCORING = {"scoring.train_scoringmodel", "scoring.promote_scoringmodel",
                   "scoring.run_scoringmodel"}

# GDPR requests (SPEC §6, portfolio/privacy.py): credit managers (and administrators, who hold
# everything) answer a debtor's access request with the data export and decide an erasure
# request. The export holds every note and decision about the debtor, so the roles that work
# single calls (agents, team leaders), the committee and client viewers do not take it; the
# client, as controller, asks the agency for it. Erasure is never for client viewers or agents.
_PRIVACY_REQUESTS = {"portfolio.export_debtor_data", "portfolio.erase_debtor_data"}

# Collections: everyone who sees a client reads its cases, contacts, promises, plans and
# disputes (a client viewer reads the shared story too). Agents claim cases, record contacts
# and hand a case to the next level; team leaders also work second-level and complaint cases,
# approve plans above the threshold and resolve disputes; only credit managers approve legal.
_RECOVERY_MODELS = ("collectioncase", "casestagechange", "collectioncontact", "callback",
                    "promisetopay", "paymentplan", "instalment", "dispute", "disputedinvoice")
_VIEW_RECOVERY = {f"recovery.view_{model}" for model in _RECOVERY_MODELS}
_WORK_RECOVERY = _VIEW_RECOVERY | {
    "recovery.work_case", "recovery.escalate_case", "recovery.add_collectioncontact",
    "recovery.add_callback", "recovery.add_promisetopay", "recovery.add_paymentplan",
    "recovery.add_dispute", "recovery.view_agentskills",
}
_LEAD_RECOVERY = _WORK_RECOVERY | {
    "recovery.work_second_level", "recovery.approve_paymentplan", "recovery.change_paymentplan",
    "recovery.resolve_dispute", "recovery.change_dispute", "recovery.change_agentskills",
}
_MANAGE_RECOVERY = _VIEW_RECOVERY | {
    "recovery.escalate_case", "recovery.approve_legal", "recovery.approve_paymentplan",
    "recovery.resolve_dispute", "recovery.view_agentskills", "recovery.change_agentskills",
    "recovery.add_agentskills",
}

# Permissions named per role as "app_label.codename". Permissions of apps that are not
# installed yet are skipped quietly and picked up by the next migrate.
ROLE_PERMISSIONS: dict[str, set[str]] = {
    Role.AGENT: _VIEW_PORTFOLIO - {"portfolio.view_importjob"}
    | {"portfolio.change_debtor", "portfolio.add_contactpoint"} | _VIEW_CREDIT | _PROPOSE_CREDIT
    | _VIEW_COMPLIANCE | _AGENT_COMPLIANCE | _VIEW_CARING | _WORK_CALLS | _VIEW_SCORING
    | _WORK_RECOVERY,
    Role.TEAM_LEADER: _VIEW_PORTFOLIO | {"portfolio.change_debtor", "portfolio.add_contactpoint"}
    | _VIEW_CREDIT | _PROPOSE_CREDIT | _VIEW_COMPLIANCE | _LEADER_COMPLIANCE | _VIEW_CARING
    | _WORK_CALLS | _VIEW_SCORING | _LEAD_RECOVERY,
    Role.CREDIT_MANAGER: _VIEW_PORTFOLIO | _EDIT_LEDGER | _PRIVACY_REQUESTS | _MANAGE_CREDIT
    | _VIEW_COMPLIANCE
    | _EDIT_COMPLIANCE_RULES | _VIEW_CARING | _EDIT_CARING_POLICY | _VIEW_SCORING
    | _MANAGE_SCORING | _MANAGE_RECOVERY,
    Role.CREDIT_COMMITTEE: _VIEW_PORTFOLIO | _VIEW_CREDIT | {"credit.decide_tier3"}
    | _VIEW_COMPLIANCE | _VIEW_CARING | _VIEW_SCORING | _VIEW_RECOVERY,
    Role.CLIENT_VIEWER: (_VIEW_PORTFOLIO - {"portfolio.view_importjob"})
    | {"credit.view_creditlimit", "credit.view_creditlimitrequest"}
    | {"compliance.view_contactdecision"} | _VIEW_CARING | _VIEW_SCORING | _VIEW_RECOVERY,
    Role.ADMINISTRATOR: {"*"},
}


def sync_role_groups(permission_model: type[Permission] = Permission,
                     group_model: type[Group] = Group) -> None:
    """Create one group per role and give it exactly the permissions listed above."""
    all_permissions = {
        f"{app_label}.{codename}": pk
        for pk, app_label, codename in permission_model.objects.values_list(
            "pk", "content_type__app_label", "codename"
        )
    }
    for role, wanted in ROLE_PERMISSIONS.items():
        group, _created = group_model.objects.get_or_create(name=role)
        if "*" in wanted:
            ids = list(all_permissions.values())
        else:
            ids = [all_permissions[name] for name in wanted if name in all_permissions]
        group.permissions.set(ids)


def sync_role_groups_after_migrate(sender: Any, **kwargs: Any) -> None:
    """post_migrate is sent once per app in INSTALLED_APPS order, and each app's permissions
    are created by its own signal: sync on the last app with models, when all of them exist
    (syncing on "access" missed the permissions of every app listed after it)."""
    from django.apps import apps

    with_models = [config for config in apps.get_app_configs()
                   if config.models_module is not None]
    if with_models and sender.name == with_models[-1].name:
        sync_role_groups()
