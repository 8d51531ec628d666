"""Who may see which client: memberships of staff, and the one client of a client viewer."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

# The tenant model. access sits below every other app and imports none of them: its foreign keys
# name the client by this label, and code that needs the class asks the app registry for it.
CLIENT_MODEL = "portfolio.Client"


class Team(models.Model):
    """A team of agents led by team leaders; queues and coaching are organised per team."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")

    def __str__(self) -> str:
        return self.name


class TeamMembership(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="team_memberships")
    is_leader = models.BooleanField(_("leads the team"), default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "user"], name="access_team_member_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.team}"


class Membership(models.Model):
    """A staff user works on a client's portfolio. Staff see only the clients listed here."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="memberships")
    client = models.ForeignKey(CLIENT_MODEL, on_delete=models.CASCADE,
                               related_name="memberships")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "client"], name="access_membership_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user} works on {self.client}"


class ClientUser(models.Model):
    """A client viewer belongs to exactly one client: the one-to-one key makes that structural."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                primary_key=True, related_name="client_link")
    client = models.ForeignKey(CLIENT_MODEL, on_delete=models.CASCADE,
                               related_name="client_users")

    def __str__(self) -> str:
        return f"{self.user} of {self.client}"


class AuditEventQuerySet(models.QuerySet):
    """Audit events are appended, never changed or removed (a bulk update or delete refuses)."""

    def update(self, **kwargs: object) -> int:
        raise TypeError("Audit events are append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise TypeError("Audit events are append-only.")


class AuditEvent(models.Model):
    """Who did what to whose data, when: the evidence of GDPR requests answered (export,
    erasure, restriction) and of other sensitive acts. Append-only.

    `access` sits below every other app, so the object is named by type and id rather than by
    a foreign key; the client is a key because every read of the audit is scoped by client.
    Written through `access.services.audit_event_record`.
    """

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+",
                              verbose_name=_("actor"))
    # The actor's username at the time, kept if the user is later removed.
    actor_name = models.CharField(_("actor name"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=64)
    client = models.ForeignKey(CLIENT_MODEL, null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("client"))
    object_type = models.CharField(_("object type"), max_length=64)
    object_id = models.CharField(_("object id"), max_length=64)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=False)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit event")
        indexes = [
            # The audit of one object (the debtor page, an access request): newest first.
            models.Index(fields=["object_type", "object_id", "-at"],
                         name="access_audit_object"),
            # A client's audit trail, newest first.
            models.Index(fields=["client", "-at"], name="access_audit_client"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type} {self.object_id} by {self.actor_name or '-'}"

    def save(self, *args: object, **kwargs: object) -> None:
        if not self._state.adding:
            raise TypeError("Audit events are append-only.")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise TypeError("Audit events are append-only.")
