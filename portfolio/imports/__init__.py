"""Portfolio imports: debtors, invoices and payments from CSV or XLSX files.

`columns` documents each kind's columns, `readers` streams a file's rows, `validate` checks them
and stages the good ones in a temporary table, `writers` turns the staging table into set-based
SQL, and `services` is the one entry point the page, the API, the command and the tasks call.
"""
