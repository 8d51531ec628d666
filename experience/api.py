"""API resources of the experience app under /api/v1/."""

from rest_framework.routers import DefaultRouter

from experience import reports_api


def register(router: DefaultRouter) -> None:
    """Add this app's resources to the project's one router."""
    reports_api.register(router)
