from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from compliance.rules import Channel


class ContactCheckForm(forms.Form):
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices)
    destination = forms.CharField(label=_("Number or address"), max_length=254)

    def __init__(self, *args, destinations: list[str] = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["destination"].widget = forms.TextInput(attrs={"list": "destinations"})
        self.destinations = list(destinations)


class OverrideRequestForm(forms.Form):
    reason = forms.CharField(label=_("Why must this contact happen now?"), max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 3}))


class OverrideDecisionForm(forms.Form):
    note = forms.CharField(label=_("Note"), max_length=300, required=False)
