from typing import Any

from django.http import HttpRequest

from access.roles import Role
from access.scoping import access_for


def roles(request: HttpRequest) -> dict[str, Any]:
    """Expose the user's roles to templates, for navigation only (views enforce access)."""
    access = access_for(request.user)
    return {"user_roles": access.roles, "Role": Role}
