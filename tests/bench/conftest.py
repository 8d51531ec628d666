"""Fixtures of the benchmarks' smoke tests."""

# The agents' smoke test is transactional: its flush empties the seeded rule packs, which
# caring's fixture puts back at the end of the session.
from tests.caring.conftest import rule_packs_restored_at_end  # noqa: F401
