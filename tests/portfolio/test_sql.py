"""SQL text made from the models' choices: the raw SQL's status lists follow the TextChoices,
and keep the text of the partial index they are meant to use."""

from __future__ import annotations

import pytest

from portfolio.models import Invoice
from portfolio.sql import INVOICE_PAYABLE, INVOICE_UNSETTLED, sql_literals


def test_status_lists_are_the_choices_as_sql_literals():
    assert INVOICE_PAYABLE == "'open', 'partially_paid'"
    assert INVOICE_UNSETTLED == "'open', 'partially_paid', 'disputed'"
    assert sql_literals(Invoice.Status.PAID) == "'paid'"


def test_the_unsettled_list_is_the_open_due_index_predicate():
    index = next(i for i in Invoice._meta.indexes if i.name == "portfolio_invoice_open_due")
    (lookup, values), = index.condition.children
    assert lookup == "status__in"
    assert sql_literals(*values) == INVOICE_UNSETTLED


@pytest.mark.parametrize("bad", ["it's", "a\\b"])
def test_a_value_that_is_not_a_plain_identifier_is_refused(bad):
    with pytest.raises(ValueError, match="not a plain choice value"):
        sql_literals(bad)


def test_an_empty_list_is_refused():
    with pytest.raises(ValueError, match="at least one"):
        sql_literals()
