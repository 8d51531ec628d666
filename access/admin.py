from django.contrib import admin

from access.forms import ThrottledAdminAuthenticationForm
from access.models import AuditEvent, ClientUser, Membership, Team, TeamMembership

# The admin's login shares the web's throttle and explains a lock the same way.
admin.site.login_form = ThrottledAdminAuthenticationForm


class TeamMembershipInline(admin.TabularInline):
    model = TeamMembership
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name"]
    inlines = [TeamMembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "client", "created_at"]
    list_filter = ["client"]
    raw_id_fields = ["user"]


@admin.register(ClientUser)
class ClientUserAdmin(admin.ModelAdmin):
    list_display = ["user", "client"]
    raw_id_fields = ["user"]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The audit, read-only: events are appended by the services, never edited or removed."""

    list_display = ["at", "actor_name", "action", "client", "object_type", "object_id"]
    list_filter = ["action", "object_type"]
    search_fields = ["object_id", "actor_name"]
    readonly_fields = ["at", "actor", "actor_name", "action", "client", "object_type",
                       "object_id", "detail"]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False
