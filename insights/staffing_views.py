"""The staffing forecast page for team leaders and credit managers: calls per day for the next
four weeks and the agents they need, with the assumptions editable on the page (a GET form:
the URL keeps them, and nothing is written)."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from access.roles import Role
from access.scoping import access_for
from insights import staffing


class AssumptionsForm(forms.Form):
    aht_seconds = forms.IntegerField(label=_("Average handle time (seconds)"), min_value=30,
                                     max_value=3600, initial=240)
    service_level = forms.DecimalField(label=_("Target service level (%)"), min_value=50,
                                       max_value=99, decimal_places=1, initial=80)
    answer_seconds = forms.IntegerField(label=_("Answered within (seconds)"), min_value=1,
                                        max_value=600, initial=20)
    hours_per_day = forms.DecimalField(label=_("Hours open per day"), min_value=1,
                                       max_value=24, decimal_places=1, initial=8)
    shrinkage = forms.DecimalField(label=_("Shrinkage (%)"), min_value=0, max_value=80,
                                   decimal_places=1, initial=30)

    def assumptions(self) -> staffing.Assumptions:
        data = self.cleaned_data
        return staffing.Assumptions(
            aht_seconds=data["aht_seconds"], service_level=float(data["service_level"]) / 100,
            answer_seconds=data["answer_seconds"], hours_per_day=float(data["hours_per_day"]),
            shrinkage=float(data["shrinkage"]) / 100)


def _may_plan(request: HttpRequest) -> bool:
    access = access_for(request.user)
    return access.sees_every_client or access.has_role(Role.TEAM_LEADER, Role.CREDIT_MANAGER)


@login_required
def staffing_forecast(request: HttpRequest) -> HttpResponse:
    if not _may_plan(request):
        raise PermissionDenied
    given = {name: value for name, value in request.GET.items() if value != ""}
    defaults = {name: field.initial for name, field in AssumptionsForm.base_fields.items()}
    form = AssumptionsForm({**defaults, **given})
    if not form.is_valid():
        return render(request, "insights/staffing/forecast.html", {"form": form, "days": []},
                      status=400)
    days = staffing.staffing_forecast(user=request.user, assumptions=form.assumptions())
    # Day names as the table writes them, in the page's language ("Mon 7 Dec", "Lun 7 Dic").
    chart = {"labels": [date_format(day.day, "D j M") for day in days],
             "calls": [day.calls for day in days],
             "agents": [day.agents_rostered for day in days]}
    totals = {"calls": sum(day.calls for day in days),
              "peak": max((day.agents_rostered for day in days), default=0)}
    return render(request, "insights/staffing/forecast.html", {
        "form": form, "days": days, "chart": chart, "totals": totals})
