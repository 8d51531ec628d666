"""API building blocks every app uses: tenant-scoped viewsets, role permissions, one error shape."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django_filters import filters as django_filters
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import exceptions, permissions, viewsets
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from access.errors import DomainError
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


def _client_path(model: type[Any]) -> str | None:
    """How `model` reaches its client for access.scoping, or None for rows of no client."""
    from portfolio.models import Client

    if model is Client:
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

def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """One error shape for the whole API: {"error": {"code", "message", "field", "details"}}."""
    if isinstance(exc, DomainError):
        return Response(
            {"error": {"code": exc.code, "message": exc.message, "field": exc.field}},
            status=400,
        )
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        message = "The request has invalid fields."
        code = "invalid"
    else:
        detail = getattr(exc, "detail", "")
        message = str(detail)
        code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
    response.data = {"error": {"code": code, "message": message, "field": None,
                               "details": response.data}}
    return response

