"""Every API resource under /api/v1/, one router for all apps."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from access.auth_api import obtain_auth_token
from caring import api as caring_api
from compliance import api as compliance_api
from credit import api as credit_api
from experience import api as experience_api
from insights import api as insights_api
from portfolio import api as portfolio_api
from recovery import api as recovery_api
from recovery import disputes_api as recovery_disputes_api
from recovery import plans_api as recovery_plans_api
from scoring import api as scoring_api

router = DefaultRouter()
portfolio_api.register(router)
credit_api.register(router)
compliance_api.register(router)
caring_api.register(router)
scoring_api.register(router)
recovery_api.register(router)
recovery_plans_api.register(router)
recovery_disputes_api.register(router)
experience_api.register(router)
insights_api.register(router)

api_patterns = [
    *router.urls,
    path("auth/token/", obtain_auth_token, name="auth-token"),
]
