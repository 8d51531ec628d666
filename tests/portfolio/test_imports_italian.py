"""Import problems are checked by a worker in English and read in the reader's language."""

import pytest
from django.utils import translation

from portfolio.messages import N_, message_text
from tests.factories import DebtorFactory
from tests.portfolio.imports_helpers import INVOICE_HEADER, check, csv_bytes

pytestmark = pytest.mark.django_db


def test_a_problem_stored_in_english_reads_in_italian():
    with translation.override("en"):
        stored = (N_("%(column)s is empty.") % {"column": "amount"}).as_stored()
    assert stored["message"] == "amount is empty."
    with translation.override("it"):
        assert message_text(stored) == "amount è vuoto."
    with translation.override("en"):
        assert message_text(stored) == "amount is empty."


def test_the_import_page_shows_rejected_rows_in_italian(client, personas):
    DebtorFactory(client=personas.client_a, external_ref="C1")
    with translation.override("en"):  # the worker's language
        job = check(personas.client_a, "invoices", csv_bytes(
            INVOICE_HEADER, "I1,C1,31/01/2026,2026-01-31,1.00", "I2,C9,2026-01-01,2026-01-31,5",
            "I3,C1,2026-01-01,2026-01-31,-3"))
    assert job.status == "rejected"
    client.force_login(personas.credit_manager)

    italian = client.get(f"/it/portfolio/imports/{job.pk}/").content.decode()
    english = client.get(f"/portfolio/imports/{job.pk}/").content.decode()

    assert "issue_date &#x27;31/01/2026&#x27; non è nel formato AAAA-MM-GG" in italian
    assert "non è un debitore di" in italian
    assert "amount -3 non può essere negativo" in italian
    assert "is not in the format" not in italian
    assert "issue_date &#x27;31/01/2026&#x27; is not in the format YYYY-MM-DD" in english
    assert "3 row(s) rejected" in english


def test_a_file_with_wrong_columns_is_explained_in_italian(client, personas):
    with translation.override("en"):
        job = check(personas.client_a, "invoices", csv_bytes("number,customer_code", "1,C1"))
    assert job.status == "rejected"
    client.force_login(personas.credit_manager)

    italian = client.get(f"/it/portfolio/imports/{job.pk}/").content.decode()

    assert "does not have" not in italian and "missing column" not in italian
