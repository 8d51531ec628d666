"""Forms of the experience app's staff pages: a programme's settings (one form per kind, with
only the settings that kind uses) and the market-study upload."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from experience import programmes
from experience.models import Programme
from experience.programmes import ProgrammeData

# File size limit of a market study: tens of thousands of rows fit well below it.
STUDY_MAX_BYTES = 10 * 1024 * 1024


def _bool(label: Any, help_text: Any = "") -> forms.BooleanField:
    return forms.BooleanField(label=label, required=False, help_text=help_text)


def _field(name: str) -> forms.Field:
    """The form field of one programme setting, with the range SPEC §5 allows."""
    if name == "delay_minutes":
        return forms.DecimalField(
            label=_("Send after (hours)"), min_value=programmes.DELAY_MIN_HOURS,
            max_value=programmes.DELAY_MAX_HOURS, max_digits=4, decimal_places=2, localize=True,
            help_text=_("Between 1 and 24 hours after the contact (2 by default)."))
    if name == "sample_share":
        return forms.DecimalField(
            label=_("Share surveyed"), min_value=Decimal("0.001"), max_value=Decimal("1"),
            max_digits=4, decimal_places=3, localize=True,
            help_text=_("Above 0, at most 1: 1 surveys every eligible contact; the others are "
                        "drawn at random, never chosen by agents."))
    if name == "relational_sample_size":
        return forms.IntegerField(label=_("Debtors per sample"), min_value=1,
                                  max_value=programmes.SAMPLE_MAX)
    if name == "relational_every_days":
        return forms.IntegerField(
            label=_("Days between samples"), min_value=programmes.EVERY_MIN_DAYS,
            max_value=programmes.EVERY_MAX_DAYS,
            help_text=_("A debtor is asked at most once every 6 months whatever this says."))
    if name == "link_valid_days":
        return forms.IntegerField(label=_("Link valid for (days)"),
                                  min_value=programmes.LINK_MIN_DAYS,
                                  max_value=programmes.LINK_MAX_DAYS,
                                  help_text=_("Between 1 and 60 days."))
    labels = {
        "active": _("Active"),
        "after_collection_contact": _("After a collection contact"),
        "after_courtesy_call": _("After a courtesy call"),
        "after_plan_agreed": _("After a payment plan is agreed"),
        "after_case_closed": _("After a case is closed"),
        "ask_ces": _("Ask the effort question (CES, 1-7)"),
        "ask_csat": _("Ask the satisfaction question (CSAT, 1-5)"),
    }
    return _bool(labels[name])


class ProgrammeForm(forms.Form):
    """The settings of one programme kind; `prefix` is the kind, so three forms share a page."""

    def __init__(self, data: Any = None, *, kind: str, programme: Programme,
                 read_only: bool = False) -> None:
        initial = {name: getattr(programme, name) for name in programmes.FIELDS_BY_KIND[kind]}
        if "delay_minutes" in initial:
            initial["delay_minutes"] = (Decimal(programme.delay_minutes) / 60).quantize(
                Decimal("0.01"))
        super().__init__(data, initial=initial, prefix=kind)
        self.kind = kind
        for name in programmes.FIELDS_BY_KIND[kind]:
            self.fields[name] = _field(name)
            # Team leaders read the settings in the same form, which they cannot submit.
            self.fields[name].disabled = read_only

    def data_for_service(self) -> ProgrammeData:
        values = dict(self.cleaned_data)
        if "delay_minutes" in values:
            values["delay_minutes"] = int((values["delay_minutes"] * 60).to_integral_value())
        return ProgrammeData(**values)


class StudyImportForm(forms.Form):
    study = forms.CharField(
        label=_("Study name"), max_length=120,
        help_text=_("The market study the answers come from, e.g. \"Utility benchmark 2026\"; "
                    "a second file of the same study adds only respondents not seen before."))
    file = forms.FileField(label=_("File (CSV or XLSX)"),
                           help_text=_("Columns: respondent_ref, nps, comment, answered_on "
                                       "(YYYY-MM-DD), and optionally ces, csat."))

    def clean_study(self) -> str:
        study = " ".join(self.cleaned_data["study"].split())
        if not study:
            raise forms.ValidationError(_("Name the study."))
        return study

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > STUDY_MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 10 MB."))
        return upload
