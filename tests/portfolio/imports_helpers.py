"""Building import files for the tests."""

from __future__ import annotations

import io

from portfolio.imports import services
from portfolio.imports.columns import COLUMNS

INVOICE_HEADER = "invoice_number,customer_code,issue_date,due_date,amount"
PAYMENT_HEADER = "reference,customer_code,value_date,amount,method,invoice_number"


def csv_bytes(header: str, *rows: str) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode("utf-8")


def debtors_csv(*rows: dict[str, str]) -> bytes:
    names = [column.name for column in COLUMNS["debtors"]]
    lines = [",".join(names)] + [",".join(row.get(name, "") for name in names) for row in rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


def debtor_row(code: str, **values: str) -> dict[str, str]:
    return {"customer_code": code, "name": f"Debtor {code}", "kind": "business",
            "country": "IT", "region": "MI", **values}


def check(client, kind: str, content: bytes, name: str = "file.csv"):
    return services.import_job_create(client=client, kind=kind, fileobj=io.BytesIO(content),
                                      name=name, by=None, run_inline=True)


def check_and_commit(client, kind: str, content: bytes, name: str = "file.csv"):
    job = check(client, kind, content, name)
    assert job.status == "validated", (job.message, job.errors)
    return services.import_job_commit_request(job=job, by=None, run_inline=True)
