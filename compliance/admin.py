"""Admin: credit managers read packs and edit versions not yet in force and client rules;
evidence (decisions, attempts, overrides) is read-only here."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone

from access.errors import DomainError
from access.requests import signed_in_user
from compliance import services
from compliance.models import (
    ClientContactRule,
    ContactAttempt,
    ContactDecision,
    ContactHold,
    ContactOverride,
    ContactRestriction,
    PackRule,
    RulePack,
    RulePackVersion,
)
from compliance.rules import value_validate

VERSION_FIELDS = ("version", "effective_from", "note", "created_by")


class RulePackVersionInline(admin.TabularInline):
    model = RulePackVersion
    extra = 0
    fields = VERSION_FIELDS
    readonly_fields = VERSION_FIELDS
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(RulePack)
class RulePackAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "country", "region", "base", "is_default"]
    inlines = [RulePackVersionInline]


class PackRuleForm(forms.ModelForm):
    class Meta:
        model = PackRule
        fields = ["parameter", "value", "kind", "source"]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data  # what Django's clean() returns; its stub says it may be None
        if data.get("parameter") and "value" in data:
            try:
                data["value"] = value_validate(data["parameter"], data["value"])
            except DomainError as error:
                raise ValidationError({"value": error.message}) from None
        return data


class PackRuleInline(admin.TabularInline):
    model = PackRule
    form = PackRuleForm
    extra = 0

    def _editable(self, obj: RulePackVersion | None) -> bool:
        # A version in force is evidence for the decisions that named it: publish a new one.
        return obj is None or obj.effective_from > timezone.now()

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._editable(obj) and super().has_change_permission(request, obj)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._editable(obj) and super().has_add_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._editable(obj) and super().has_delete_permission(request, obj)


@admin.register(RulePackVersion)
class RulePackVersionAdmin(admin.ModelAdmin):
    list_display = ["pack", "version", "effective_from", "note"]
    list_filter = ["pack"]
    inlines = [PackRuleInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is not None and obj.effective_from <= timezone.now():
            return ["pack", "version", "effective_from", "note"]
        return []


class ClientContactRuleForm(forms.ModelForm):
    class Meta:
        model = ClientContactRule
        fields = ["client", "country", "parameter", "value", "note"]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data  # what Django's clean() returns; its stub says it may be None
        if data.get("parameter") and "value" in data:
            try:
                data["value"] = services.client_contact_rule_check(
                    parameter=data["parameter"], value=data["value"],
                    country=data.get("country", ""))
            except DomainError as error:
                raise ValidationError({"value": error.message}) from None
        return data


@admin.register(ClientContactRule)
class ClientContactRuleAdmin(admin.ModelAdmin):
    form = ClientContactRuleForm
    list_display = ["client", "country", "parameter", "value", "note", "updated_at"]
    list_filter = ["client", "parameter"]

    def save_model(self, request: HttpRequest, obj: ClientContactRule, form: Any,
                   change: bool) -> None:
        obj.updated_by = signed_in_user(request)
        super().save_model(request, obj, form, change)


@admin.register(ContactHold)
class ContactHoldAdmin(admin.ModelAdmin):
    list_display = ["debtor", "client", "kind", "starts_at", "ends_at", "released_at"]
    list_filter = ["kind", "client"]
    raw_id_fields = ["debtor"]
    list_select_related = ["debtor", "client"]
    show_full_result_count = False


@admin.register(ContactRestriction)
class ContactRestrictionAdmin(admin.ModelAdmin):
    list_display = ["debtor", "kind", "channel", "not_before", "not_after", "place",
                    "source", "created_at", "revoked_at"]
    list_filter = ["kind", "source"]
    raw_id_fields = ["debtor"]
    list_select_related = ["debtor"]
    show_full_result_count = False


class ReadOnlyAdmin(admin.ModelAdmin):
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ContactAttempt)
class ContactAttemptAdmin(ReadOnlyAdmin):
    list_display = ["started_at", "debtor", "channel", "destination", "result", "party",
                    "connected", "conversation"]
    list_filter = ["channel", "result"]
    list_select_related = ["debtor"]


@admin.register(ContactDecision)
class ContactDecisionAdmin(ReadOnlyAdmin):
    list_display = ["decided_at", "debtor", "channel", "destination", "allowed", "rule_ids",
                    "pack_code", "pack_version", "actor", "purpose"]
    list_filter = ["allowed", "channel", "pack_code"]
    list_select_related = ["debtor", "actor"]


@admin.register(ContactOverride)
class ContactOverrideAdmin(ReadOnlyAdmin):
    list_display = ["requested_at", "debtor", "channel", "requested_by", "status",
                    "decided_by", "decided_at"]
    list_filter = ["status"]
    list_select_related = ["debtor", "requested_by", "decided_by"]
