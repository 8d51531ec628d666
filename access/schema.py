"""The OpenAPI document tells the truth about errors: every operation lists the error responses
it can give, each in the API's one error shape (access.api.exception_handler renders it)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers


class ErrorBodySerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable, for programs: invalid, not_found, "
                                           "permission_denied, bad_amount …")
    message = serializers.CharField(help_text="A sentence for people, naming the problem.")
    field = serializers.CharField(allow_null=True,
                                  help_text="The input at fault, where there is one.")
    details = serializers.JSONField(required=False,
                                    help_text="Every invalid field with its problems, or the "
                                              "framework's own detail.")


class ErrorSerializer(serializers.Serializer):
    """{"error": {"code", "message", "field", "details"}}: the body of every 4xx answer."""

    error = ErrorBodySerializer()


_DESCRIPTIONS = {
    "400": "Bad input: the error names the field and the problem; nothing was written.",
    "403": "Not logged in, or the role may not do this.",
    "404": "No such object among those you may see (or an invalid page cursor).",
    "429": "Too many requests; try again later.",
}


class FidoAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema plus the error responses an operation can give:

    - 400 where the request carries input (a body, query parameters), and on every write: a
      service may refuse the move (DomainError), bodiless actions like submit included;
    - 403 on every operation: authentication and role checks (session authentication comes
      first and sends no challenge, so a missing login is 403, never 401);
    - 404 where the path names an object, and on lists (a stale or forged page cursor);
    - 429 where the view throttles.
    """

    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        parameters = operation.get("parameters", [])
        codes = ["403"]
        if (self.method not in {"GET", "HEAD", "OPTIONS"} or "requestBody" in operation
                or any(p["in"] == "query" for p in parameters)):
            codes.append("400")
        if any(p["in"] == "path" for p in parameters) or self._is_list_view():
            codes.append("404")
        if self.view.get_throttles():
            codes.append("429")
        error = self.resolve_serializer(ErrorSerializer(), "response").ref
        responses = operation["responses"]
        for code in sorted(codes):
            responses.setdefault(code, {
                "content": {"application/json": {"schema": error}},
                "description": _DESCRIPTIONS[code],
            })
        return operation
