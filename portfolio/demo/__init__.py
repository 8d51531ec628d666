"""A seeded, realistic demo portfolio: same seed and day, same data; from ten thousand to a
million invoices.

- `generator`: the clients, their debtors and each debtor's payment behaviour, as a stream;
- `identities`: invented people and firms with valid phone numbers and tax identifiers;
- `loader`: the stream into the database (bulk_create, or COPY on PostgreSQL);
- `files`: the stream into the CSV files the portfolio import reads.
"""

from portfolio.demo.files import demo_files_write
from portfolio.demo.generator import BEHAVIOURS, CLIENT_KEYS, DEMO_CLIENTS, ClientSpec
from portfolio.demo.loader import demo_portfolio_create

__all__ = ["BEHAVIOURS", "CLIENT_KEYS", "DEMO_CLIENTS", "ClientSpec", "demo_files_write",
           "demo_portfolio_create"]
