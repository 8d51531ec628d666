from __future__ import annotations

from django.contrib.auth import views as auth_views

from access.forms import ThrottledAuthenticationForm


class LoginView(auth_views.LoginView):
    authentication_form = ThrottledAuthenticationForm
    template_name = "access/login.html"
    redirect_authenticated_user = True
