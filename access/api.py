"""API building blocks every app uses: tenant-scoped viewsets, role permissions, one error shape."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from django import forms
from django.apps import apps
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults as django_defaults
from django_filters import filters as django_filters
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import exceptions, permissions, serializers, viewsets
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from access.errors import DomainError
from access.models import CLIENT_MODEL
from access.pagination import BIGINT_MAX
from access.scoping import scope_to_user


class RolePermissions(permissions.DjangoModelPermissions):
    """Deny by default: reading needs the model's view permission, writing its add/change one.

    A domain action (`@action`) names its own permissions in the viewset's
    `action_permissions = {"action_name": ["app.codename", ...]}`; they replace the method map.
    """

    perms_map = {
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "POST": ["%(app_label)s.add_%(model_name)s"],
        "PUT": ["%(app_label)s.change_%(model_name)s"],
        "PATCH": ["%(app_label)s.change_%(model_name)s"],
        "DELETE": ["%(app_label)s.delete_%(model_name)s"],
    }

    def has_permission(self, request: Any, view: Any) -> bool:
        required = getattr(view, "action_permissions", {}).get(getattr(view, "action", None))
        if required is None:
            return super().has_permission(request, view)
        return bool(request.user and request.user.is_authenticated
                    and request.user.has_perms(required))


class IdField(serializers.IntegerField):
    """A row id in input: a positive bigint. A larger number is refused here (400) instead of
    overflowing the database driver (500)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", BIGINT_MAX)
        super().__init__(**kwargs)


class IdFilter(django_filters.NumberFilter):
    """`?debtor=ID` as a plain number (an unknown or another client's id gives the same empty
    page), bounded like IdField so that a huge one is a 400, not a driver overflow."""

    field_class = forms.IntegerField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", BIGINT_MAX)
        super().__init__(*args, **kwargs)


class ReadOnlyModelSerializer(serializers.ModelSerializer):
    """Base of the output serializers, whose fields are all read-only.

    DRF drops `allow_blank` from read-only fields, so a choice column that may be blank (an
    outcome not recorded yet) would be documented as an enum without "": keep it.
    """

    def include_extra_kwargs(self, kwargs: MutableMapping[str, Any],
                             extra_kwargs: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
        blank_choice = bool(kwargs.get("allow_blank")) and "choices" in kwargs
        kwargs = super().include_extra_kwargs(kwargs, extra_kwargs)
        if blank_choice:
            kwargs["allow_blank"] = True
        return kwargs


def _client_path(model: type[Any]) -> str | None:
    """How `model` reaches its client for access.scoping, or None for rows of no client."""
    if model is apps.get_model(CLIENT_MODEL):
        return "pk"
    if any(field.name == "client" for field in model._meta.get_fields()):
        return "client"
    return None


class TenantScopedFilterBackend(DjangoFilterBackend):
    """Filters that name a row (`?client=`, `?debtor=`) choose among the rows the user may see.

    Without this, django-filter validates such a filter against every row of the model: the
    browsable API's filter form lists every client's names, and another client's id answers
    differently from an id that does not exist.
    """

    def get_filterset(self, request: Any, queryset: QuerySet[Any], view: Any) -> Any:
        filterset = super().get_filterset(request, queryset, view)
        if filterset is None:
            return None
        for each in filterset.filters.values():
            if not isinstance(each, django_filters.QuerySetRequestMixin):
                continue
            model = each.get_queryset(request).model
            path = _client_path(model)
            if path is not None:
                each.queryset = scope_to_user(model._default_manager.all(), request.user,
                                              client_field=path)
        return filterset


class TenantScopedViewSet(viewsets.GenericViewSet):
    """Base for every API viewset that serves client-owned rows.

    Subclasses implement `get_unscoped_queryset()`; `get_queryset()` is final and always passes
    it through access.scoping, so the tenant filter cannot be forgotten. `client_field` is the
    path from the model to its Client.
    """

    permission_classes = [permissions.IsAuthenticated, RolePermissions]
    filter_backends = [TenantScopedFilterBackend]
    client_field = "client"

    def get_unscoped_queryset(self) -> QuerySet[Any]:
        raise NotImplementedError

    def get_queryset(self) -> QuerySet[Any]:
        return scope_to_user(self.get_unscoped_queryset(), self.request.user,
                             client_field=self.client_field)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "get_queryset" in cls.__dict__:
            raise TypeError(f"{cls.__name__} overrides get_queryset; implement "
                            "get_unscoped_queryset so that tenant scoping stays on.")

def _first_problem(detail: Any, path: str = "") -> tuple[str | None, str]:
    """The first invalid field (dotted path, e.g. "emails.0") and its first message."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = str(key) if key != api_settings.NON_FIELD_ERRORS_KEY else ""
            return _first_problem(value, f"{path}.{name}" if path and name else path or name)
    if isinstance(detail, list):
        for index, value in enumerate(detail):
            if isinstance(value, (dict, list)):
                return _first_problem(value, f"{path}.{index}" if path else str(index))
            return path or None, str(value)
    return path or None, str(detail)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """One error shape for the whole API: {"error": {"code", "message", "field", "details"}}
    (documented by access.schema.ErrorSerializer). `field` and `message` name the first
    problem; `details` holds every one."""
    if isinstance(exc, DomainError):
        return Response(
            {"error": {"code": exc.code, "message": exc.message, "field": exc.field}},
            status=400,
        )
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    field = None
    code: str | None
    if isinstance(exc, exceptions.ValidationError):
        field, problem = _first_problem(exc.detail)
        message = (_("%(field)s: %(problem)s") % {"field": field, "problem": problem}
                   if field else problem) or _("The request has invalid fields.")
        code = "invalid"
    else:
        detail = getattr(exc, "detail", "")
        message = str(detail)
        code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
    response.data = {"error": {"code": code, "message": message, "field": field,
                               "details": response.data}}
    return response


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """The 404 of every URL (config.urls.handler404): under /api/ one that matched no route
    (`/api/v1/debtors/abc/`) answers in the API's error shape too, never an HTML page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"error": {"code": "not_found", "message": _("Not found."),
                                       "field": None}}, status=404)
    return django_defaults.page_not_found(request, exception)  # type: ignore[arg-type]
