"""Contact compliance: rule packs (data), account holds, the debtor's own restrictions, client
contract rules, the record of contact attempts, every decision taken and manual overrides.

The engine (compliance/engine.py) reads these; it never writes. Writes go through
compliance/services.py. SPEC §1 is the source of every rule; values live in rows, not code.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from compliance.rules import CONNECTED_RESULTS, AttemptResult, Channel, Param, Party
from portfolio.models import Client, Debtor


class RulePack(models.Model):
    """A jurisdiction's contact rules. A pack with a region overlays its country's pack (the
    Massachusetts overlay on the US federal pack); the default pack serves every country
    without its own."""

    code = models.CharField(_("code"), max_length=16, unique=True)
    name = models.CharField(_("name"), max_length=120)
    country = models.CharField(_("country"), max_length=2)
    region = models.CharField(_("region or state"), max_length=16, blank=True,
                              help_text=_("Set only on an overlay, e.g. MA."))
    base = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                             related_name="overlays", verbose_name=_("overlays the pack"))
    is_default = models.BooleanField(_("default pack"), default=False)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["country", "region"]
        verbose_name = _("rule pack")
        constraints = [
            models.UniqueConstraint(fields=["country", "region"],
                                    name="compliance_rulepack_country_region"),
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True),
                                    name="compliance_rulepack_one_default"),
            models.CheckConstraint(condition=Q(region="") | Q(base__isnull=False),
                                   name="compliance_rulepack_overlay_has_base"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class RulePackVersion(models.Model):
    """One edition of a pack. A decision uses the version whose `effective_from` is the latest
    at or before the decision time, and records its number."""

    pack = models.ForeignKey(RulePack, on_delete=models.PROTECT, related_name="versions")
    version = models.PositiveIntegerField(_("version"))
    effective_from = models.DateTimeField(_("effective from"))
    note = models.TextField(_("what changed"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pack", "-effective_from"]
        verbose_name = _("rule pack version")
        constraints = [
            models.UniqueConstraint(fields=["pack", "version"],
                                    name="compliance_rulepackversion_number_once"),
            models.UniqueConstraint(fields=["pack", "effective_from"],
                                    name="compliance_rulepackversion_start_once"),
        ]

    def __str__(self) -> str:
        return f"{self.pack.code} v{self.version}"


class PackRule(models.Model):
    class Kind(models.TextChoices):
        FLOOR = "floor", _("Floor (law or binding code; never overridden)")
        DEFAULT = "default", _("Default (a client may make it stricter)")

    pack_version = models.ForeignKey(RulePackVersion, on_delete=models.CASCADE,
                                     related_name="rules")
    parameter = models.CharField(_("rule"), max_length=40, choices=Param.choices)
    value = models.JSONField(_("value"))
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.DEFAULT)
    source = models.CharField(_("source"), max_length=200, blank=True,
                              help_text=_("Regulation or code the value comes from."))

    class Meta:
        ordering = ["pack_version", "parameter"]
        verbose_name = _("pack rule")
        constraints = [
            models.UniqueConstraint(fields=["pack_version", "parameter"],
                                    name="compliance_packrule_once"),
        ]

    def __str__(self) -> str:
        return f"{self.pack_version.pack.code}.{self.parameter}"


class ClientContactRule(models.Model):
    """A client's contract rule: the same parameters as a pack, only ever stricter."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="contact_rules")
    country = models.CharField(_("country"), max_length=2, blank=True,
                               help_text=_("Blank: every country of the client's debtors."))
    parameter = models.CharField(_("rule"), max_length=40, choices=Param.choices)
    value = models.JSONField(_("value"))
    note = models.CharField(_("contract clause"), max_length=200, blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["client", "country", "parameter"]
        verbose_name = _("client contact rule")
        constraints = [
            models.UniqueConstraint(fields=["client", "country", "parameter"],
                                    name="compliance_clientcontactrule_once"),
        ]

    def __str__(self) -> str:
        return f"{self.client} {self.country or '*'} {self.parameter}"


class ContactHold(models.Model):
    """An account hold (SPEC §1 layer 1). Deceased, vulnerable and do-not-call are flags on
    the debtor itself; everything else is a hold row, released rather than deleted."""

    class Kind(models.TextChoices):
        CEASE_COMMUNICATION = "cease_communication", _("Cease communication")
        LAWYER = "lawyer", _("Represented by a lawyer")
        DISPUTE = "dispute", _("Dispute pending")
        INSOLVENCY = "insolvency", _("Bankruptcy or insolvency")
        BREATHING_SPACE = "breathing_space", _("UK Breathing Space")
        COMPLAINT = "complaint", _("Open complaint")
        VULNERABILITY = "vulnerability", _("Vulnerability hold")

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    debtor = models.ForeignKey(Debtor, on_delete=models.CASCADE, related_name="contact_holds")
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    # A dispute names the invoices it pauses; empty means the whole account.
    invoice_ids = models.JSONField(_("invoices"), default=list, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"), null=True, blank=True)
    released_at = models.DateTimeField(_("released"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    released_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["debtor", "-starts_at"]
        verbose_name = _("account hold")
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__isnull=True)
                                   | Q(ends_at__gt=F("starts_at")),
                                   name="compliance_contacthold_ends_after_start"),
        ]
        indexes = [
            # The engine's loader: the unreleased holds of a batch of debtors.
            models.Index(fields=["debtor"], name="compliance_hold_active",
                         condition=Q(released_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.debtor_id}"


class ContactRestriction(models.Model):
    """The debtor's own restriction (SPEC §1 layer 2): an inconvenient time or place, a channel
    opted out of, a preferred channel. Revoked rather than deleted."""

    class Kind(models.TextChoices):
        INCONVENIENT_TIME = "inconvenient_time", _("Inconvenient time")
        INCONVENIENT_PLACE = "inconvenient_place", _("Inconvenient place")
        CHANNEL_OPT_OUT = "channel_opt_out", _("Channel opted out")
        PREFERRED_CHANNEL = "preferred_channel", _("Only this channel")

    class Source(models.TextChoices):
        AGENT = "agent", _("Told to an agent")
        SMS_KEYWORD = "sms_keyword", _("Opt-out keyword by text")
        WRITTEN = "written", _("In writing")

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    debtor = models.ForeignKey(Debtor, on_delete=models.CASCADE,
                               related_name="contact_restrictions")
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices, blank=True,
                               help_text=_("Blank: every channel."))
    # Week days the restriction applies on ("mon" … "sun"); empty means every day.
    weekdays = models.JSONField(_("days"), default=list, blank=True)
    not_before = models.TimeField(_("not before"), null=True, blank=True)
    not_after = models.TimeField(_("not after"), null=True, blank=True)
    place = models.CharField(_("place"), max_length=32, blank=True,
                             help_text=_("A contact point label such as work."))
    source = models.CharField(_("source"), max_length=16, choices=Source.choices,
                              default=Source.AGENT)
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("from"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        ordering = ["debtor", "-created_at"]
        verbose_name = _("debtor restriction")
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind__in=["channel_opt_out", "preferred_channel"]) | ~Q(channel=""),
                name="compliance_contactrestriction_channel_named",
            ),
            models.CheckConstraint(condition=~Q(kind="inconvenient_place") | ~Q(place=""),
                                   name="compliance_contactrestriction_place_named"),
        ]
        indexes = [
            # The engine's loader: the restrictions in force for a batch of debtors.
            models.Index(fields=["debtor"], name="compliance_restriction_active",
                         condition=Q(revoked_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.debtor_id}"


class ContactAttempt(models.Model):
    """One outbound attempt (call, text, e-mail, survey) and its SPEC §2 result. The frequency
    and pacing rules count these."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    debtor = models.ForeignKey(Debtor, on_delete=models.CASCADE, related_name="contact_attempts")
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    destination = models.CharField(_("destination"), max_length=254)
    started_at = models.DateTimeField(_("started"))
    result = models.CharField(_("result"), max_length=24, choices=AttemptResult.choices)
    party = models.CharField(_("party"), max_length=24, choices=Party.choices, blank=True)
    # Derived by contact_attempt_record from result and party; the constraints keep them true.
    connected = models.BooleanField(_("connected"))
    conversation = models.BooleanField(_("conversation"))
    # The debt the attempt was about: a case reference, or blank for the whole account.
    debt_ref = models.CharField(_("debt"), max_length=64, blank=True)
    invoice_ids = models.JSONField(_("invoices"), default=list, blank=True)
    consent_given_at = models.DateTimeField(_("debtor consented to calls at"), null=True,
                                            blank=True)
    follow_up_at = models.DateTimeField(_("follow-up agreed for"), null=True, blank=True)
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("contact attempt")
        constraints = [
            models.CheckConstraint(
                condition=(Q(connected=True, result__in=sorted(CONNECTED_RESULTS))
                           | (Q(connected=False) & ~Q(result__in=sorted(CONNECTED_RESULTS)))),
                name="compliance_contactattempt_connected_matches_result",
            ),
            models.CheckConstraint(
                condition=Q(conversation=False) | Q(result="answered",
                                                    party="right_party_verified"),
                name="compliance_contactattempt_conversation_is_answered_rpc",
            ),
        ]
        indexes = [
            # The engine's loader: a batch of debtors' attempts in the look-back window.
            models.Index(fields=["debtor", "started_at"], name="compliance_attempt_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.destination} {self.started_at:%Y-%m-%d %H:%M}"


class ContactDecision(models.Model):
    """Evidence: every decision that allowed or blocked an outbound contact, with the pack
    version in force (Reg F §1006.100 keeps such records three years)."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    debtor = models.ForeignKey(Debtor, on_delete=models.CASCADE, related_name="contact_decisions")
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    destination = models.CharField(_("destination"), max_length=254, blank=True)
    decided_at = models.DateTimeField(_("for the time"))
    allowed = models.BooleanField(_("allowed"))
    rule_ids = models.JSONField(_("rules that fired"), default=list, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    # The same reason as message ids and values (compliance.reasons), which screens render in
    # the reader's language; `reason` keeps the English text as evidence.
    reason_message = models.JSONField(_("reason, for translation"), default=list, blank=True)
    next_permitted_at = models.DateTimeField(_("next permitted"), null=True, blank=True)
    # False for a denial by an account hold or a floor rule: no override can lift those.
    overridable = models.BooleanField(_("may be overridden"), default=False)
    pack_code = models.CharField(_("rule pack"), max_length=16)
    pack_version = models.PositiveIntegerField(_("pack version"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    purpose = models.CharField(_("purpose"), max_length=32, blank=True)
    # The batch run that took the decision (e.g. a planning run of one policy for one day):
    # a run killed and resumed decides again, and its evidence is kept once per debtor.
    run_key = models.CharField(_("run"), max_length=64, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-decided_at", "-id"]
        verbose_name = _("contact decision")
        constraints = [
            models.UniqueConstraint(fields=["run_key", "debtor", "channel"],
                                    condition=~Q(run_key=""),
                                    name="compliance_contactdecision_once_per_run"),
        ]
        indexes = [
            # The debtor's decision history (page section and /api/v1/contact-decisions/).
            models.Index(fields=["debtor", "-decided_at"], name="compliance_decision_debtor"),
        ]

    def __str__(self) -> str:
        return f"{'allow' if self.allowed else 'deny'} {self.channel} {self.debtor_id}"

    @property
    def reason_display(self) -> str:
        """The reason in the active language (the English evidence when none is stored)."""
        from compliance.reasons import render_json

        return render_json(self.reason_message, self.reason)


class ContactOverride(models.Model):
    """An agent's request to contact despite a denial, with a reason; a team leader other than
    the requester approves or rejects it."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    debtor = models.ForeignKey(Debtor, on_delete=models.CASCADE, related_name="contact_overrides")
    decision = models.ForeignKey(ContactDecision, on_delete=models.PROTECT,
                                 related_name="overrides")
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    destination = models.CharField(_("destination"), max_length=254, blank=True)
    reason = models.TextField(_("reason"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices,
                              default=Status.REQUESTED)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     related_name="+")
    requested_at = models.DateTimeField(_("requested"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_note = models.CharField(_("note"), max_length=300, blank=True)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("contact override")
        permissions = [("approve_contactoverride", "Can approve or reject a contact override")]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""),
                                   name="compliance_contactoverride_reason_given"),
            models.CheckConstraint(
                condition=(Q(status="requested", decided_by__isnull=True)
                           | (Q(status__in=["approved", "rejected"], decided_by__isnull=False,
                                decided_at__isnull=False)
                              & ~Q(decided_by=F("requested_by")))),
                name="compliance_contactoverride_decided_by_another",
            ),
        ]
        indexes = [
            # The engine: an approved override in force for a debtor.
            models.Index(fields=["debtor", "valid_until"], name="compliance_override_approved",
                         condition=Q(status="approved")),
        ]

    def __str__(self) -> str:
        return f"override {self.pk} ({self.status})"
