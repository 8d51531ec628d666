"""Factories and small builders for credit's tests."""

from __future__ import annotations

from decimal import Decimal

import factory

from credit.models import CreditTierPolicy, FinancialStatement
from scoring.models import DebtorScore
from tests.factories import DebtorFactory, ModelFactory
from tests.scoring.factories import DebtorScoreFactory


class CreditTierPolicyFactory(ModelFactory[CreditTierPolicy]):
    class Meta:
        model = CreditTierPolicy

    tier1_ceiling = Decimal("10000.00")
    tier1_bands = factory.LazyFunction(lambda: ["A", "B"])
    tier2_ceiling = Decimal("100000.00")
    committee_quorum = 2
    service_time_hours = 24
    review_months = 12


class FinancialStatementFactory(ModelFactory[FinancialStatement]):
    class Meta:
        model = FinancialStatement

    debtor = factory.SubFactory(DebtorFactory)
    client = factory.SelfAttribute("debtor.client")
    fiscal_year = 2025
    revenue = Decimal("1000000.00")
    ebitda = Decimal("150000.00")
    net_income = Decimal("60000.00")
    equity = Decimal("400000.00")
    total_debt = Decimal("300000.00")
    current_assets = Decimal("500000.00")
    current_liabilities = Decimal("250000.00")
    cash = Decimal("100000.00")
    inventory = Decimal("150000.00")
    interest_expense = Decimal("20000.00")


def score(debtor, band: str, *, as_of=None, model=None) -> DebtorScore:
    """A score of `band` for the debtor (a newer as_of wins as the latest)."""
    import datetime as dt

    kwargs = {"debtor": debtor, "band": band, "as_of": as_of or dt.date(2026, 1, 1)}
    if model is not None:
        kwargs["model"] = model
    return DebtorScoreFactory(**kwargs)
