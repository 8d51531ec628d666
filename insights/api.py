"""API resources of the insights app under /api/v1/."""

from rest_framework.routers import DefaultRouter


def register(router: DefaultRouter) -> None:
    """Add this app's resources to the project's one router."""
