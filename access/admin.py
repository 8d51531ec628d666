from django.contrib import admin

from access.forms import ThrottledAdminAuthenticationForm
from access.models import ClientUser, Membership, Team, TeamMembership

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
