"""Composite foreign keys that keep an invoice or payment inside its client.

(client_id, currency) must match the client's currency, and (debtor_id, client_id) must name a
debtor of the same client. Django has no composite foreign keys, so they are added in SQL on
PostgreSQL (production and CI). The embedded SQLite demo relies on the services for these two.
"""

from django.db import migrations

_KEYS = [
    ("portfolio_invoice", "portfolio_invoice_currency_of_client", "(client_id, currency)",
     "portfolio_client (id, currency)"),
    ("portfolio_invoice", "portfolio_invoice_debtor_of_client", "(debtor_id, client_id)",
     "portfolio_debtor (id, client_id)"),
    ("portfolio_payment", "portfolio_payment_currency_of_client", "(client_id, currency)",
     "portfolio_client (id, currency)"),
    ("portfolio_payment", "portfolio_payment_debtor_of_client", "(debtor_id, client_id)",
     "portfolio_debtor (id, client_id)"),
]


def add_keys(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, name, columns, target in _KEYS:
        schema_editor.execute(
            f"ALTER TABLE {table} ADD CONSTRAINT {name} FOREIGN KEY {columns} "
            f"REFERENCES {target} DEFERRABLE INITIALLY DEFERRED"
        )


def drop_keys(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, name, _columns, _target in _KEYS:
        schema_editor.execute(f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("portfolio", "0001_initial")]
    operations = [migrations.RunPython(add_keys, drop_keys)]
