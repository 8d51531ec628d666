"""The public survey page a debtor reaches from a personal link (no login)."""

from django.http import Http404, HttpRequest, HttpResponse


def survey_page(request: HttpRequest, token: str) -> HttpResponse:
    raise Http404
