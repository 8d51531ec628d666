"""Fit both model kinds on any CSV table with repeated stratified cross-validation."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from scoring.evaluation import cross_validate, read_table


class Command(BaseCommand):
    help = ("Cross-validate the scorecard and the gradient-boosting model on a CSV; binning is "
            "fitted inside each fold. Prints AUC, Gini, KS and Brier with their spread.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--csv", required=True)
        parser.add_argument("--target", required=True, help="the target column")
        parser.add_argument("--bad", required=True, help="the target value that means bad")
        parser.add_argument("--folds", type=int, default=5)
        parser.add_argument("--repeats", type=int, default=3)
        parser.add_argument("--kind", choices=["scorecard", "gbm", "both"], default="both")

    def handle(self, *args: Any, csv: str, target: str, bad: str, folds: int, repeats: int,
               kind: str, **options: Any) -> None:
        try:
            columns, y, categorical, dropped = read_table(csv, target=target, bad=bad)
        except (OSError, ValueError) as error:
            raise CommandError(str(error)) from None
        if y.sum() == 0 or y.sum() == len(y):
            raise CommandError(f"No row (or every row) has {target} = {bad!r}.")
        if dropped:
            self.stdout.write("Left out as protected characteristics: " + ", ".join(dropped))
        self.stdout.write(f"{len(y)} rows, {int(y.sum())} bad ({y.mean():.1%}), "
                          f"{len(columns)} columns ({len(categorical)} categorical); "
                          f"{repeats} x {folds}-fold stratified cross-validation")
        kinds = ("scorecard", "gbm") if kind == "both" else (kind,)
        summary = cross_validate(columns, y, categorical=categorical, kinds=kinds,
                                 n_splits=folds, n_repeats=repeats)
        for name, measures in summary.items():
            line = "  ".join(f"{m.upper()} {v['mean']:.3f} ± {v['std']:.3f}"
                             for m, v in measures.items())
            self.stdout.write(f"{name:<10} {line}")
