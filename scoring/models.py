"""Risk scoring: the model registry and the scores it produced.

A trained model is a versioned artifact (a skops file with its sha256) described by one
`ScoringModel` row; every `DebtorScore` names the model that produced it, so a score can always
be traced back to the exact artifact, its training window and its validation metrics.

Target (what "bad" means) is defined in `scoring.target`; features in `scoring.features`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portfolio.models import Client, Debtor
from scoring.reasons import reason_lines

# Population stability index above which the model page warns that the debtors scored today no
# longer look like those the model was trained on (the usual 0.1 / 0.25 rule of thumb).
PSI_WARNING = 0.25
# Below this the population reads as stable; between the two, as shifting (watch it).
PSI_STABLE = 0.1


class ScoringModel(models.Model):
    """One trained model of one client and segment: the registry record of its artifact."""

    class Kind(models.TextChoices):
        SCORECARD = "scorecard", _("Points scorecard")
        GBM = "gbm", _("Gradient boosting")

    class Segment(models.TextChoices):
        # Segments follow the debtor's kind: businesses and consumers pay differently.
        ALL = "all", _("All debtors")
        BUSINESS = "business", _("Businesses")
        CONSUMER = "consumer", _("Consumers")

    class Status(models.TextChoices):
        CHALLENGER = "challenger", _("Challenger")
        CHAMPION = "champion", _("Champion")
        RETIRED = "retired", _("Retired")

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="scoring_models")
    segment = models.CharField(_("segment"), max_length=16, choices=Segment.choices,
                               default=Segment.ALL)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    version = models.PositiveIntegerField(_("version"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices,
                              default=Status.CHALLENGER)
    # Training window: labels observed for as_of dates in [train_from, train_to]; the
    # out-of-time validation uses the later as_of dates in [validate_from, validate_to].
    train_from = models.DateField(_("training from"))
    train_to = models.DateField(_("training to"))
    validate_from = models.DateField(_("validation from"), null=True, blank=True)
    validate_to = models.DateField(_("validation to"), null=True, blank=True)
    features = models.JSONField(_("features"), default=list)
    # {"auc", "gini", "ks", "brier", "n_train", "n_validate", "bad_rate_train", ...}
    metrics = models.JSONField(_("metrics"), default=dict, blank=True)
    # [{"bin": i, "predicted": p, "observed": o, "count": n}, ...] on the validation window.
    calibration = models.JSONField(_("calibration"), default=list, blank=True)
    # Training distributions kept for the population stability index:
    # {"score": {"edges": [...], "shares": [...]}, "features": {name: {...}}}
    reference = models.JSONField(_("reference distributions"), default=dict, blank=True)
    # The latest run's PSI per feature and for the score, written by batch scoring.
    stability = models.JSONField(_("stability"), default=dict, blank=True)
    proposed = models.BooleanField(
        _("proposed champion"), default=False,
        help_text=_("Proposed by the system on validation AUC and calibration."))
    artifact_path = models.CharField(_("artifact"), max_length=500)
    artifact_sha256 = models.CharField(_("artifact sha256"), max_length=64)
    promoted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    promoted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("scoring model")
        permissions = [
            ("train_scoringmodel", "Can train scoring models"),
            ("promote_scoringmodel", "Can promote a scoring model to champion"),
            ("run_scoringmodel", "Can run batch scoring"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "segment"], condition=Q(status="champion"),
                name="scoring_scoringmodel_one_champion",
            ),
            models.UniqueConstraint(fields=["client", "segment", "kind", "version"],
                                    name="scoring_scoringmodel_version_unique"),
        ]
        indexes = [
            # The registry page: a client's models, newest first.
            models.Index(fields=["client", "-created_at"], name="scoring_model_client_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} v{self.version} ({self.get_segment_display()})"


class DebtorScore(models.Model):
    """One debtor's probability of a bad outcome as of a date, by one model (history kept)."""

    class Band(models.TextChoices):
        A = "A", _("A — lowest risk")
        B = "B", _("B — low risk")
        C = "C", _("C — medium risk")
        D = "D", _("D — high risk")
        E = "E", _("E — highest risk")

    # References checked once per statement by scoring's own triggers (scoring/
    # statement_checks.py), not per row by foreign keys: a batch chunk inserts 50,000 scores at
    # once. (debtor, client) must name a debtor of that client and (model, client) a model of
    # it. debtor leads the unique index below, which serves its lookups; a model is looked up
    # by its own key only; a client's scores by the (client, id) index, in the API's order.
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+",
                               db_index=False, db_constraint=False)
    debtor = models.ForeignKey(Debtor, on_delete=models.CASCADE, related_name="scores",
                               db_index=False, db_constraint=False)
    model = models.ForeignKey(ScoringModel, on_delete=models.PROTECT, related_name="scores",
                              db_index=False, db_constraint=False)
    as_of = models.DateField(_("as of"))
    probability = models.DecimalField(_("probability of late payment or default"),
                                      max_digits=6, decimal_places=5)
    points = models.IntegerField(_("points"))
    band = models.CharField(_("band"), max_length=1, choices=Band.choices)
    # Compact, worst first: [["late_share_12m", -37, 0.6667, 4, 6], ...] ([code, impact, value,
    # *extra]); worded when read, by `reason_lines`. Runs before that stored worded dicts
    # ({"code", "text", "impact", "params"}), which `reason_lines` reads too.
    reasons = models.JSONField(_("reasons"), default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-as_of", "-id"]
        verbose_name = _("debtor score")
        constraints = [
            # A retried batch chunk writes nothing twice (bulk_create(ignore_conflicts=True)).
            # Led by debtor and date, the same index serves a debtor's newest scores
            # (debtor_score_latest, debtor_scores_latest, the caring queues): one index fewer
            # to maintain for every score written. Nothing looks scores up by model alone:
            # models are retired, never deleted.
            models.UniqueConstraint(fields=["debtor", "as_of", "model"],
                                    name="scoring_debtorscore_once"),
            models.CheckConstraint(condition=Q(probability__gte=0) & Q(probability__lte=1),
                                   name="scoring_debtorscore_probability_range"),
            models.CheckConstraint(condition=Q(band__in=["A", "B", "C", "D", "E"]),
                                   name="scoring_debtorscore_band_valid"),
        ]
        indexes = [
            # The API lists a client's scores by id, a page at a time (cursor pagination): in
            # this order the page is read from the index, however long the client's history.
            # It costs a batch write no more than an index on client alone.
            models.Index(fields=["client", "id"], name="scoring_score_client_by_id"),
        ]

    def __str__(self) -> str:
        return f"{self.debtor_id} {self.as_of} {self.band}"

    @property
    def reason_lines(self) -> list[dict[str, object]]:
        """The reasons in plain words, {"code", "text", "impact"}, in the active language."""
        return reason_lines(self.reasons)


class StabilityCounts(models.Model):
    """How the debtors one batch chunk scored fall in the model's reference bins.

    Each chunk of a run adds one row (once: a retried chunk finds its row) and the model's
    `stability` is recomputed from the sum of the run's rows, so the population stability
    index covers every debtor scored, not a sample, and costs no extra feature query. Only
    the latest run's rows are kept. Counts only: no debtor can be told from them.
    """

    # The constraint below leads with the model and serves its lookups.
    model = models.ForeignKey(ScoringModel, on_delete=models.CASCADE,
                              related_name="stability_counts", db_index=False)
    as_of = models.DateField(_("as of"))
    first_debtor_id = models.BigIntegerField(_("first debtor id of the chunk"))
    debtors = models.PositiveIntegerField(_("debtors"))
    # {"score": {bin: n}, "features": {name: {bin or category: n}}} (distribution_counts).
    counts = models.JSONField(_("counts"), default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("stability counts of a scoring chunk")
        constraints = [
            models.UniqueConstraint(fields=["model", "as_of", "first_debtor_id"],
                                    name="scoring_stabilitycounts_once"),
        ]

    def __str__(self) -> str:
        return f"{self.model_id} {self.as_of} from {self.first_debtor_id}"
