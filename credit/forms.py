from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _

from credit.models import FinancialStatement
from portfolio.models import Client

if TYPE_CHECKING:  # the stubs' name for a text that may be translated lazily
    from django_stubs_ext import StrOrPromise


def figure_label(name: str) -> StrOrPromise:
    """A statement figure's label on forms and pages: its column's verbose name (every figure
    is a DecimalField, never a relation)."""
    return cast(models.DecimalField, FinancialStatement._meta.get_field(name)).verbose_name


class CreditRequestForm(forms.Form):
    amount = forms.DecimalField(label=_("Requested limit"), max_digits=14, decimal_places=2,
                                min_value=0)
    justification = forms.CharField(label=_("Justification"), widget=forms.Textarea(
        attrs={"rows": 4}))


class DecisionForm(forms.Form):
    comment = forms.CharField(label=_("Comment"), required=False, max_length=5000,
                              widget=forms.Textarea(attrs={"rows": 3}))
    override_reason = forms.CharField(
        label=_("Why approve above the recommendation"), required=False, max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when the amount is above the recommended limit."))

    def __init__(self, *args: Any, above_recommendation: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.above_recommendation = above_recommendation
        if above_recommendation:
            self.fields["override_reason"].required = True
            self.fields["override_reason"].error_messages["required"] = _(
                "The amount is above the recommended limit: write why you approve it.")
        else:
            del self.fields["override_reason"]


class FinancialStatementForm(forms.Form):
    fiscal_year = forms.IntegerField(label=_("Fiscal year"), min_value=1900, max_value=2200)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in FinancialStatement.FIGURES:
            self.fields[name] = forms.DecimalField(
                label=figure_label(name),
                max_digits=14, decimal_places=2)


class StatementImportForm(forms.Form):
    client = forms.ModelChoiceField(label=_("Client"), queryset=Client.objects.none())
    file = forms.FileField(label=_("CSV or XLSX file"),
                           help_text=_("One row per debtor and fiscal year; columns: debtor, "
                                       "fiscal_year, revenue, ebitda, net_income, equity, "
                                       "total_debt, current_assets, current_liabilities, cash, "
                                       "inventory, interest_expense."))

    def __init__(self, *args: Any, clients: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["client"]).queryset = clients
