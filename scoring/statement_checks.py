"""The consistency of a debtor score's references, checked once per statement.

The scoring batch writes a client's scores 50,000 at a time. Real foreign keys on the score's
debtor (checked and locked row by row) took the batch from 2.4-2.9x to 3.6-4.4x of its floor
(bench/README.md, "Scoring batch"; target 3x), so both references are checked per statement
on the score table instead:

- the score's (debtor, client) is a debtor of that client. The debtor is portfolio's, a lower
  app's table, so nothing is created on it (`guard_parent=False`): a debtor's scores go with
  it through the model's on_delete (CASCADE), and the client exists because the debtor's own
  foreign key says so;
- the score's (model, client) is a model of that client, guarded on the model's side too (a
  scoring table): a model that still has scores cannot be deleted or moved. The model row is
  key-share locked, not share locked: each chunk adds its stability counts to that row, and
  share locks would have two chunks finishing together deadlock. A move still waits for the
  chunks in flight: client is a key column of the model table (it is part of the unique
  `scoring_scoringmodel_version_unique`).

Scoring migration 0011 holds a copy of their SQL; tests/scoring/test_statement_checks.py keeps
the copy equal to what this list generates.
"""

from __future__ import annotations

from portfolio.statement_checks import RowsExistIn

SCORING_CHECKS = (
    RowsExistIn(name="scoring_score_debtor_client", table="scoring_debtorscore",
                columns=("debtor_id", "client_id"),
                parent="portfolio_debtor", parent_columns=("id", "client_id"),
                guard_parent=False),
    RowsExistIn(name="scoring_score_model_client", table="scoring_debtorscore",
                columns=("model_id", "client_id"),
                parent="scoring_scoringmodel", parent_columns=("id", "client_id"),
                parent_lock="FOR KEY SHARE"),
)
