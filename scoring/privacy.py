"""Scoring's part of a debtor's personal data (portfolio/privacy.py): every risk score kept,
with the model version and the reasons that explain it (GDPR Art. 15(1)(h))."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from portfolio.models import Debtor
from portfolio.privacy import PrivacySection
from scoring.models import DebtorScore


def _export(debtor: Debtor) -> Sequence[Mapping[str, object]]:
    return list(DebtorScore.objects.filter(debtor=debtor).order_by("as_of", "id")
                .values("as_of", "model__version", "model__kind", "probability", "points",
                        "band", "reasons"))


SECTION = PrivacySection(key="scores", export=_export, order=50)
