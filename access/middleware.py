"""Middleware of access: the API's language, and refused use cases on pages."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation

from access.errors import DomainError


class ApiLanguageMiddleware:
    """The API's URLs carry no language prefix, so LocaleMiddleware answers them in English
    (prefix_default_language=False). A program asks for Italian the HTTP way instead:
    `Accept-Language: it`, and its error messages come back in Italian."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith("/api/"):
            language = translation.get_language_from_request(request, check_path=False)
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)


class DomainErrorMiddleware:
    """A refused use case that reaches no handler in a page's view is the user's bad input,
    not a server fault: answer 400 with its message (the API has its own handler)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest,
                          exception: Exception) -> HttpResponse | None:
        if isinstance(exception, DomainError):
            return render(request, "400.html", {"message": exception.message}, status=400)
        return None
