"""Who may see which client: memberships of staff, and the one client of a client viewer."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


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
    client = models.ForeignKey("portfolio.Client", on_delete=models.CASCADE,
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
    client = models.ForeignKey("portfolio.Client", on_delete=models.CASCADE,
                               related_name="client_users")

    def __str__(self) -> str:
        return f"{self.user} of {self.client}"
