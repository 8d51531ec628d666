"""The consistency of caring's rows that foreign keys do not declare.

Assignments, calls and their invoice links name portfolio's invoices and debtors by real
foreign keys. Their client must be the client of the policy or call they belong to; that pair
is checked once per statement instead of by per-row foreign keys (composite ones, at that),
because the planner writes a day's rows in sets and per-row checks of every reference took it
over its benchmark target (bench/README.md, "Caring planner"). The checks' triggers sit on
caring's own tables only. Caring migration 0008 holds a copy of their SQL;
tests/caring/test_statement_checks.py keeps the copy equal to what this list generates.
"""

from __future__ import annotations

from portfolio.statement_checks import RowsExistIn

CARING_CHECKS = (
    # An assignment's policy exists and belongs to the assignment's client.
    RowsExistIn(name="caring_assignment_policy_client", table="caring_caringassignment",
                columns=("policy_id", "client_id"),
                parent="caring_caringpolicy", parent_columns=("id", "client_id")),
    # A call's policy exists and belongs to the call's client.
    RowsExistIn(name="caring_call_policy_client", table="caring_courtesycall",
                columns=("policy_id", "client_id"),
                parent="caring_caringpolicy", parent_columns=("id", "client_id")),
    # A link's call exists and belongs to the link's client.
    RowsExistIn(name="caring_link_call_client", table="caring_courtesycallinvoice",
                columns=("call_id", "client_id"),
                parent="caring_courtesycall", parent_columns=("id", "client_id")),
)
