"""The workspace's outcome form: SPEC §2's taxonomy, in the order an agent goes through a call.

The form checks shapes and the one rule the screen enforces too (nothing about the debt before
the right party is verified); the service (contact_outcome_record) checks everything again and
applies the side effects.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from recovery.models import CollectionContact, Dispute

Contact = CollectionContact

# Keyboard shortcuts shown on screen (templates/recovery/workspace.html): digits for the
# attempt result, letters for the party and the most frequent outcomes.
RESULT_KEYS = {
    Contact.AttemptResult.ANSWERED: "1", Contact.AttemptResult.NO_ANSWER: "2",
    Contact.AttemptResult.BUSY: "3", Contact.AttemptResult.VOICEMAIL_LEFT: "4",
    Contact.AttemptResult.VOICEMAIL_NO_MESSAGE: "5", Contact.AttemptResult.NOT_IN_SERVICE: "6",
    Contact.AttemptResult.DROPPED: "7",
}
PARTY_KEYS = {
    Contact.Party.RIGHT_PARTY_VERIFIED: "r", Contact.Party.AUTHORISED_THIRD_PARTY: "t",
    Contact.Party.WRONG_PARTY: "w", Contact.Party.UNKNOWN: "u",
}
OUTCOME_KEYS = {
    Contact.Outcome.PROMISE_TO_PAY: "p", Contact.Outcome.PAYMENT_PLAN_AGREED: "l",
    Contact.Outcome.DISPUTE_LOGGED: "d", Contact.Outcome.INVOICE_NOT_RECEIVED: "i",
    Contact.Outcome.HARDSHIP_DISCLOSED: "h", Contact.Outcome.CALLBACK_REQUESTED: "c",
    Contact.Outcome.REFUSED_TO_PAY: "x", Contact.Outcome.INFO_ONLY: "o",
    Contact.Outcome.PAID_IN_FULL: "f", Contact.Outcome.COMPLAINT_LOGGED: "k",
}
# The outcomes offered before the debt may be talked about, and those after (SPEC §2).
DEBT_OUTCOMES = [value for value, _label in Contact.Outcome.choices
                 if value in Contact.DEBT_OUTCOMES]
OTHER_OUTCOMES = [value for value, _label in Contact.Outcome.choices
                  if value not in Contact.DEBT_OUTCOMES]


def _ordered(choices: Any, keys: Collection[str]) -> list[tuple[str, Any]]:
    labels = dict(choices.choices)
    first = [(value, labels[value]) for value in keys]
    return first + [(value, label) for value, label in choices.choices if value not in keys]


class OutcomeForm(forms.Form):
    opened = forms.CharField(widget=forms.HiddenInput)
    destination = forms.CharField(required=False, max_length=254, widget=forms.HiddenInput)
    attempt_result = forms.ChoiceField(
        label=_("Attempt result"), widget=forms.RadioSelect,
        choices=_ordered(Contact.AttemptResult, RESULT_KEYS))
    party = forms.ChoiceField(label=_("Who answered"), required=False,
                              widget=forms.RadioSelect,
                              choices=_ordered(Contact.Party, PARTY_KEYS))
    outcomes = forms.MultipleChoiceField(label=_("Outcomes"), required=False,
                                         widget=forms.CheckboxSelectMultiple,
                                         choices=Contact.Outcome.choices)
    reason_for_non_payment = forms.ChoiceField(
        label=_("Why not paid"), required=False,
        choices=[("", "—"), *Contact.NonPaymentReason.choices])
    mood_start = forms.ChoiceField(label=_("Mood at the start"), required=False,
                                   choices=[("", "—"), *Contact.Mood.choices])
    mood_end = forms.ChoiceField(label=_("Mood at the end"), required=False,
                                 choices=[("", "—"), *Contact.Mood.choices])
    empathy_markers = forms.MultipleChoiceField(label=_("Empathy markers"), required=False,
                                                widget=forms.CheckboxSelectMultiple,
                                                choices=Contact.EmpathyMarker.choices)
    promise_amount = forms.DecimalField(label=_("Promised amount"), required=False,
                                        min_value=0, max_digits=16, decimal_places=2,
                                        localize=True)
    promise_date = forms.DateField(label=_("Promised by"), required=False,
                                   widget=forms.DateInput(attrs={"type": "date"}))
    callback_at = forms.DateTimeField(
        label=_("Call back at"), required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])
    callback_consent = forms.BooleanField(label=_("The debtor agreed to be called back"),
                                          required=False)
    dispute_invoices = forms.MultipleChoiceField(label=_("Invoices disputed"), required=False,
                                                 widget=forms.CheckboxSelectMultiple)
    dispute_reason = forms.ChoiceField(label=_("Dispute reason"), required=False,
                                       choices=[("", "—"), *Dispute.Reason.choices])
    inconvenient_from = forms.TimeField(label=_("Inconvenient from"), required=False,
                                        widget=forms.TimeInput(attrs={"type": "time"}))
    inconvenient_to = forms.TimeField(label=_("to"), required=False,
                                      widget=forms.TimeInput(attrs={"type": "time"}))
    opt_out_channel = forms.ChoiceField(label=_("No more contact by"), required=False,
                                        choices=[("", "—"), *Contact.Channel.choices])
    next_step = forms.ChoiceField(label=_("Next step"), choices=Contact.NextStep.choices,
                                  initial=Contact.NextStep.NONE)
    notes = forms.CharField(label=_("Notes"), required=False, max_length=2000,
                            widget=forms.Textarea(attrs={"rows": 2, "placeholder": _("Notes")}))

    def __init__(self, *args: Any, invoices: Sequence[Any] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        disputed = cast(forms.MultipleChoiceField, self.fields["dispute_invoices"])
        disputed.choices = [
            (str(row.invoice.pk), row.invoice.number) for row in invoices]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data  # what Django's clean() returns; its stub says it may be None
        outcomes = set(data.get("outcomes") or [])
        rpc = data.get("party") == Contact.Party.RIGHT_PARTY_VERIFIED
        if not rpc:
            talked = sorted(outcomes & Contact.DEBT_OUTCOMES)
            if talked:
                self.add_error("outcomes", _(
                    "Nothing about the debt before the right party is verified: %(outcomes)s."
                ) % {"outcomes": ", ".join(str(Contact.Outcome(o).label) for o in talked)})
            if data.get("reason_for_non_payment"):
                self.add_error("reason_for_non_payment", _(
                    "Only the right party tells why the debt is unpaid."))
        if Contact.Outcome.PROMISE_TO_PAY in outcomes:
            if not data.get("promise_amount"):
                self.add_error("promise_amount", _("A promise needs an amount."))
            if not data.get("promise_date"):
                self.add_error("promise_date", _("A promise needs a date."))
        if Contact.Outcome.CALLBACK_REQUESTED in outcomes:
            if not data.get("callback_at"):
                self.add_error("callback_at", _("A callback needs a time."))
            if not data.get("callback_consent"):
                self.add_error("callback_consent", _(
                    "Call back only with the debtor's consent."))
        return data

    def contact_values(self) -> dict[str, Any]:
        """The cleaned values under the service's names (recovery.services.ContactData)."""
        data = self.cleaned_data
        return {
            "attempt_result": data["attempt_result"], "destination": data["destination"],
            "party": data["party"], "outcomes": list(data["outcomes"]),
            "reason_for_non_payment": data["reason_for_non_payment"],
            "mood_start": data["mood_start"], "mood_end": data["mood_end"],
            "empathy_markers": list(data["empathy_markers"]), "next_step": data["next_step"],
            "notes": data["notes"], "promise_amount": data["promise_amount"],
            "promise_date": data["promise_date"], "callback_at": data["callback_at"],
            "callback_consent": data["callback_consent"],
            "dispute_invoice_ids": [int(pk) for pk in data["dispute_invoices"]],
            "dispute_reason": data["dispute_reason"],
            "inconvenient_from": data["inconvenient_from"],
            "inconvenient_to": data["inconvenient_to"],
            "opt_out_channel": data["opt_out_channel"],
        }


# The service names a few inputs differently from the form.
SERVICE_FIELDS = {"dispute_invoice_ids": "dispute_invoices",
                  "inconvenient_weekdays": "inconvenient_from"}
