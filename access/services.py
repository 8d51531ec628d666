"""Writes of the access app."""

from __future__ import annotations

from typing import Any

from access.models import AuditEvent


def audit_event_record(*, actor: Any, action: str, client_id: int | None, object_type: str,
                       object_id: object, detail: dict[str, Any] | None = None) -> AuditEvent:
    """Append one event to the audit. Call it inside the transaction of the act it records,
    so that the act and its record commit (or roll back) together."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEvent.objects.create(
        actor=user, actor_name=user.get_username() if user is not None else "",
        action=action, client_id=client_id, object_type=object_type,
        object_id=str(object_id), detail=detail or {})
