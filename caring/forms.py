from __future__ import annotations

from typing import cast

from django import forms
from django.utils.translation import gettext_lazy as _

from caring.models import BANDS, CaringPolicy, CourtesyCall
from portfolio.models import Client


class PolicyForm(forms.Form):
    client: forms.ModelChoiceField[Client] = forms.ModelChoiceField(queryset=None,
                                                                    label=_("Client"))
    segment = forms.ChoiceField(choices=CaringPolicy.Segment.choices, label=_("Segment"))
    days_before_due = forms.IntegerField(label=_("Business days before the due date"),
                                         min_value=1, max_value=30, initial=5)
    min_amount = forms.DecimalField(label=_("Minimum open amount"), min_value=0,
                                    max_digits=14, decimal_places=2, initial=0)
    bands = forms.MultipleChoiceField(label=_("Risk bands to call"),
                                      choices=[(band, band) for band in BANDS],
                                      widget=forms.CheckboxSelectMultiple, initial=list(BANDS))
    max_attempts = forms.IntegerField(label=_("Maximum attempts"), min_value=1, max_value=10,
                                      initial=3)
    control_share = forms.DecimalField(
        label=_("Control group share"), min_value=0, max_value=0.5, decimal_places=3,
        initial=0.1, help_text=_("0.10 keeps one invoice in ten uncalled, to measure the effect."))
    calls_per_agent_hour = forms.IntegerField(label=_("Calls per agent per hour"), min_value=1,
                                              max_value=60, initial=10)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, clients=None, editing: bool = False, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["client"]).queryset = clients
        if editing:
            self.fields["client"].disabled = True


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(choices=CourtesyCall.Outcome.choices, label=_("Outcome"),
                                widget=forms.RadioSelect)
    payment_date = forms.DateField(label=_("Payment date"), required=False,
                                   widget=forms.DateInput(attrs={"type": "date"}))
    callback_at = forms.DateTimeField(label=_("Call back at"), required=False,
                                      widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    note = forms.CharField(label=_("Note"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))
