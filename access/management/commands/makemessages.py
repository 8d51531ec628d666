"""`makemessages` that also collects the project's own marking functions.

Messages stored untranslated and translated when read are marked with `N_` (compliance's
reasons, portfolio's import and ledger messages), and a few module-level labels with
`_lazy` (credit's texts). Django's command knows neither name, so without these keywords a
run drops their entries from the catalogue.
"""

from __future__ import annotations

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    xgettext_options = [*makemessages.Command.xgettext_options, "--keyword=N_", "--keyword=_lazy"]
