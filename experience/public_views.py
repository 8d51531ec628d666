"""The public survey page a debtor reaches from a personal link (no login).

The page speaks the survey's language whatever the browser says, is short and works on a
phone, and says nothing about a debt (SPEC §5): no amount, no invoice, no creditor wording.
Every way a link can fail has its own plain page and status: a tampered or unknown link is
not found (404: the page never confirms that a survey exists), an expired link is gone (410),
an answered link is a conflict (409, "already answered"), a flood of posts from one address is
refused (429). Bad input re-shows the form with the problem named (400) and writes nothing.

GET ?stop shows the confirmation to stop receiving surveys; a POST with `stop` records it.
After an answer the browser is sent to GET ?thanks (post/redirect/get), so a reload never
posts twice.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django import forms
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from access.errors import DomainError
from access.throttle import client_address
from experience import answers, services
from experience.links import LinkError, LinkProblem, survey_for_token
from experience.models import (
    CES_MAX,
    CES_MIN,
    COMMENT_MAX,
    CSAT_MAX,
    CSAT_MIN,
    NPS_MAX,
    NPS_MIN,
    Survey,
)

# A debtor answers once and may stop surveys once: 20 posts from one address in 10 minutes is
# far above any person (a household behind one router included) and well below a script.
POSTS_PER_WINDOW = 20
WINDOW_SECONDS = 600

PROBLEM_STATUS = {
    LinkProblem.TAMPERED: 404,
    LinkProblem.UNKNOWN: 404,
    LinkProblem.EXPIRED: 410,
    LinkProblem.USED: 409,
}


def _scale(low: int, high: int) -> list[tuple[int, str]]:
    return [(value, str(value)) for value in range(low, high + 1)]


class AnswerForm(forms.Form):
    nps = forms.TypedChoiceField(
        choices=_scale(NPS_MIN, NPS_MAX), coerce=int, widget=forms.RadioSelect,
        error_messages={"required": _("Choose a score from 0 to 10."),
                        "invalid_choice": _("Choose a score from 0 to 10.")})
    comment = forms.CharField(
        required=False, max_length=COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": COMMENT_MAX}),
        error_messages={"max_length": _("Please keep your answer to at most "
                                        "%(limit_value)d characters.")})
    ces = forms.TypedChoiceField(
        required=False, choices=_scale(CES_MIN, CES_MAX), coerce=int, empty_value=None,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Choose a score from 1 to 7.")})
    csat = forms.TypedChoiceField(
        required=False, choices=_scale(CSAT_MIN, CSAT_MAX), coerce=int, empty_value=None,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Choose a score from 1 to 5.")})
    complaint = forms.BooleanField(required=False)

    def __init__(self, *args: Any, survey: Survey, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only the questions the programme asks (SPEC §5: nothing else).
        if not survey.programme.ask_ces:
            del self.fields["ces"]
        if not survey.programme.ask_csat:
            del self.fields["csat"]


def _flooded(request: HttpRequest) -> bool:
    """Count this post against its address; True once the address is over the limit. Kept in
    the shared cache (the database cache embedded, Redis in production) so that every web
    process counts together; the address is hashed, the cache holds no addresses."""
    digest = hashlib.sha256(client_address(request).encode()).hexdigest()[:32]
    key = f"survey-posts:{digest}"
    cache.add(key, 0, timeout=WINDOW_SECONDS)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=WINDOW_SECONDS)
        count = 1
    return count > POSTS_PER_WINDOW


def _render(request: HttpRequest, template: str, context: dict[str, Any], *,
            language: str | None = None, status: int = 200) -> HttpResponse:
    """Render in the survey's language (the browser's when no survey is known)."""
    language = language or translation.get_language() or "en"
    with translation.override(language):
        response = render(request, f"experience/public/{template}", context, status=status)
    response.headers["Content-Language"] = language
    # A personal link is never sent to another site as a referrer. Not "no-referrer": with it
    # the browser posts the form with "Origin: null", which CSRF rightly refuses.
    response.headers["Referrer-Policy"] = "same-origin"
    return response


def _problem(request: HttpRequest, error: LinkError, token: str) -> HttpResponse:
    survey = error.survey
    return _render(request, "problem.html",
                   {"problem": error.problem.value, "token": token,
                    "may_stop": survey is not None},
                   language=survey.language if survey else None,
                   status=PROBLEM_STATUS[error.problem])


def _stop(request: HttpRequest, survey: Survey, token: str) -> HttpResponse:
    if request.method == "POST":
        services.opt_out_of_surveys(survey.debtor, note="Asked on the survey page")
        return _render(request, "stopped.html", {}, language=survey.language)
    return _render(request, "stop.html", {"token": token}, language=survey.language)


@never_cache
def survey_page(request: HttpRequest, token: str) -> HttpResponse:
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponse(status=405, headers={"Allow": "GET, HEAD, POST"})
    if request.method == "POST" and _flooded(request):
        return _render(request, "flood.html", {}, status=429)
    wants_stop = "stop" in (request.POST if request.method == "POST" else request.GET)
    now = timezone.now()
    try:
        survey = survey_for_token(token, now)
    except LinkError as error:
        # A used or expired link still names its debtor: it may still stop the surveys.
        if error.survey is not None and wants_stop:
            return _stop(request, error.survey, token)
        if (error.problem is LinkProblem.USED and error.survey is not None
                and request.method == "GET" and "thanks" in request.GET):
            return _render(request, "thanks.html", {"token": token},
                           language=error.survey.language)
        return _problem(request, error, token)
    if wants_stop:
        return _stop(request, survey, token)
    # The service's refusals are worded when raised: in the survey's language.
    with translation.override(survey.language):
        return _answer(request, survey, token)


def _answer(request: HttpRequest, survey: Survey, token: str) -> HttpResponse:
    status = 200
    if request.method == "POST":
        form = AnswerForm(request.POST, survey=survey)
        if form.is_valid():
            data = form.cleaned_data
            try:
                answers.response_record(
                    signed_token=token, nps=data["nps"], comment=data["comment"],
                    ces=data.get("ces"), csat=data.get("csat"), complaint=data["complaint"])
            except LinkError as error:  # answered in another tab since the page was read
                return _problem(request, error, token)
            except DomainError as error:
                form.add_error(error.field if error.field in form.fields else None,
                               error.message)
            else:
                return redirect(f"{request.path}?thanks")
        status = 400
    else:
        form = AnswerForm(survey=survey)
    return _render(request, "survey.html",
                   {"form": form, "survey": survey, "client_name": survey.client.name,
                    "token": token, "comment_max": COMMENT_MAX},
                   language=survey.language, status=status)
