from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from compliance.rules import Channel

# The kind of contact point each channel goes to ("phone" or "email"); a survey goes to
# either (a text or an e-mail carries it).
POINT_KINDS = {
    Channel.CALL: ("phone",),
    Channel.SMS: ("phone",),
    Channel.EMAIL: ("email",),
    Channel.SURVEY: ("phone", "email"),
}


def _point_label(point: Any) -> str:
    label = point.value
    if point.label:
        label += f" ({point.label})"
    if getattr(point, "wrong_number_at", None) is not None:
        label += " · " + gettext("reported as a wrong number")
    return label


class ContactCheckForm(forms.Form):
    """The pre-dial check: a channel and one of the debtor's contact points for it (phones for
    a call or a text, e-mail addresses for an e-mail)."""

    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices)
    # A select of the chosen channel's contact points; validated in clean(), so that a value
    # of the wrong kind gets an error that says so rather than "select a valid choice".
    destination = forms.CharField(label=_("Number or address"), max_length=254,
                                  required=False, widget=forms.Select)

    def __init__(self, *args: Any, points: Iterable[Any] = (), refresh_url: str = "",
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.points = list(points)
        channel = self.data.get("channel") if self.is_bound else None
        channel = channel or self.initial.get("channel") or Channel.CALL
        if channel not in POINT_KINDS:
            channel = Channel.CALL
        kinds = POINT_KINDS[channel]
        offered = [p for p in self.points if p.channel in kinds]
        choices = [(p.value, _point_label(p)) for p in offered]
        if not offered:
            if "email" not in kinds:
                empty = gettext("No phone number on file")
            elif "phone" not in kinds:
                empty = gettext("No e-mail address on file")
            else:
                empty = gettext("No contact point on file")
            choices = [("", empty)]
        self.fields["destination"].widget.choices = choices
        self.fields["destination"].widget.attrs["data-testid"] = "destination"
        if refresh_url:
            # Changing the channel offers that channel's contact points: htmx reads the form's
            # own page with ?channel= (the select's own value only, never the CSRF token) and
            # swaps in its destination select.
            self.fields["channel"].widget.attrs.update({
                "hx-get": refresh_url, "hx-trigger": "change",
                "hx-target": "#id_destination", "hx-select": "#id_destination",
                "hx-swap": "outerHTML"})

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data  # what Django's clean() returns; its stub says it may be None
        channel, destination = data.get("channel"), (data.get("destination") or "").strip()
        if not channel:
            return data
        if not destination:
            self.add_error("destination", gettext("Choose one of the debtor's numbers or "
                                                  "addresses."))
            return data
        point = next((p for p in self.points if p.value == destination), None)
        kinds = POINT_KINDS[channel]
        kind = point.channel if point is not None else (
            "email" if "@" in destination else "phone")
        if kind not in kinds:
            if kind == "email":
                message = gettext("%(value)s is an e-mail address: a call or a text goes to one "
                                  "of the debtor's phone numbers.") % {"value": destination}
            else:
                message = gettext("%(value)s is a phone number: an e-mail goes to one of the "
                                  "debtor's e-mail addresses.") % {"value": destination}
            self.add_error("destination", message)
        elif point is None:
            self.add_error("destination", gettext(
                "%(value)s is not one of the debtor's contact points.") % {"value": destination})
        else:
            data["destination"] = destination
        return data


class OverrideRequestForm(forms.Form):
    reason = forms.CharField(label=_("Why must this contact happen now?"), max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 3}))


class OverrideDecisionForm(forms.Form):
    note = forms.CharField(label=_("Note"), max_length=300, required=False)
