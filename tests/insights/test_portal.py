"""The client portal: its figures, its pages, and a client user kept on its own portfolio."""

from __future__ import annotations

import datetime as dt
import html
from decimal import Decimal

import pytest
from django.urls import reverse

from insights import portal_selectors as selectors
from portfolio.models import Payment, PaymentReversal
from tests.insights.conftest import AS_OF

pytestmark = pytest.mark.django_db

EUR = "EUR"


def _money(items) -> dict[str, Decimal]:
    return {item.currency: item.amount for item in items}


def test_the_tiles_add_up_the_clients_own_ledger(book, personas):
    tiles = selectors.portal_tiles(client=personas.client_a, as_of=AS_OF)

    assert _money(tiles.open_balance) == {EUR: Decimal("1600.00")}
    # Overdue as in the aging table: past due, the disputed invoice apart.
    assert _money(tiles.overdue) == {EUR: Decimal("500.00")}
    assert tiles.overdue_invoices == 2
    # [2026-02-14, 2026-03-16) and [2025-12-16, 2026-03-16): the November payment is older.
    assert _money(tiles.cash_30) == {EUR: Decimal("150.00")}
    assert _money(tiles.cash_90) == {EUR: Decimal("220.00")}
    assert tiles.cases_open == 1
    assert tiles.promises_due == 1  # the 18 March one; 30 April is further than 7 days
    assert _money(tiles.promises_due_amount) == {EUR: Decimal("120.00")}
    assert tiles.plans_active == 1
    assert tiles.disputes_pending == 1


def test_a_reversed_payment_leaves_the_cash_tiles_and_months(book, personas):
    bounced = Payment.objects.get(client=personas.client_a, amount=Decimal("70.00"))
    PaymentReversal.objects.create(client=personas.client_a, payment=bounced,
                                   amount=bounced.amount, currency=bounced.currency,
                                   booked_on=dt.date(2026, 1, 25), reason="bounced")

    tiles = selectors.portal_tiles(client=personas.client_a, as_of=AS_OF)
    january = [row for row in selectors.portal_months(client=personas.client_a, as_of=AS_OF)
               if row.month == dt.date(2026, 1, 1)]

    assert _money(tiles.cash_90) == {EUR: Decimal("150.00")}
    assert _money(january[0].cash) == {}


def test_nps_is_transactional_only_with_n_and_interval(book, personas):
    nps = selectors.portal_nps(client=personas.client_a, as_of=AS_OF, days=30)

    # 10, 9, 8, 3: two promoters, one passive, one detractor; the relational 0 is not counted.
    assert (nps.promoters, nps.passives, nps.detractors) == (2, 1, 1)
    assert nps.score == 25
    assert nps.interval is not None
    low, high = nps.interval
    assert low < 25 < high
    assert not nps.enough


def test_months_put_cash_beside_nps_in_the_reporting_time_zone(book, personas):
    months = selectors.portal_months(client=personas.client_a, as_of=AS_OF)

    assert len(months) == 12
    assert months[0].month == dt.date(2025, 4, 1) and months[-1].month == dt.date(2026, 3, 1)
    by_month = {row.month: row for row in months}
    assert _money(by_month[dt.date(2026, 3, 1)].cash) == {EUR: Decimal("150.00")}
    assert _money(by_month[dt.date(2026, 1, 1)].cash) == {EUR: Decimal("70.00")}
    assert _money(by_month[dt.date(2025, 11, 1)].cash) == {EUR: Decimal("999.00")}
    assert by_month[dt.date(2026, 3, 1)].nps.n == 4
    assert by_month[dt.date(2026, 2, 1)].nps.n == 0


def test_aging_puts_each_balance_in_its_bucket(book, personas):
    [row] = selectors.portal_aging(client=personas.client_a, as_of=AS_OF)

    assert row.buckets["current"] == Decimal("100.00")
    assert row.buckets["d31_60"] == Decimal("300.00")
    assert row.buckets["d61_90"] == Decimal("200.00")
    assert row.disputed == Decimal("1000.00")
    assert row.total == Decimal("1600.00")


def test_a_client_users_home_is_its_portal(client, personas, book):
    client.force_login(personas.viewer_a)

    response = client.get("/", follow=True)

    assert response.redirect_chain[-1][0] == reverse("insights:portal")
    page = response.content.decode()
    assert 'data-testid="portal-tiles"' in page
    assert personas.client_a.name in page
    assert "Beta Distribuzione" not in page


def test_staff_keep_their_own_home(client, personas):
    client.force_login(personas.agent)

    response = client.get("/")

    assert response.status_code == 200
    assert 'data-testid="home-agent"' in response.content.decode()


def test_the_portal_home_shows_the_figures_and_nothing_of_another_client(client, personas, book):
    client.force_login(personas.viewer_a)

    page = client.get(reverse("insights:portal"), {"as_of": AS_OF.isoformat()}).content.decode()

    assert "€1,600.00" in page
    assert "€500.00" in page
    assert "€220.00" in page
    assert "n=4" in page
    assert "7,777.77" not in page and "8,888.88" not in page
    assert "Ferramenta Bianchi" not in page


def test_the_home_costs_a_fixed_number_of_queries(client, personas, book,
                                                  django_assert_max_num_queries):
    client.force_login(personas.viewer_a)
    client.get(reverse("insights:portal"))  # session and permission caches warm

    # session, user, groups/permissions, roles, client ids, the client, the client list,
    # six tile queries, aging, two month queries, two NPS windows.
    with django_assert_max_num_queries(22):
        response = client.get(reverse("insights:portal"), {"as_of": AS_OF.isoformat()})
    assert response.status_code == 200


def test_an_other_clients_id_answers_404_on_every_portal_page(client, personas, book):
    client.force_login(personas.viewer_a)
    other = {"client": personas.client_b.pk}

    for name in ("insights:portal", "insights:portal_debtors", "insights:portal_promises",
                 "insights:portal_plans", "insights:portal_disputes"):
        assert client.get(reverse(name), other).status_code == 404, name
    assert client.get(reverse("insights:portal_debtor", args=[book.bianchi.pk])).status_code \
        == 404


@pytest.mark.parametrize("path", [
    "/portfolio/debtors/", "/caring/", "/caring/queue/", "/caring/tasks/", "/credit/",
    "/credit/over-limit/", "/collections/", "/collections/control-room/",
    "/compliance/packs/", "/scoring/models/",
])
def test_staff_pages_refuse_client_users(client, personas, path):
    client.force_login(personas.viewer_a)

    assert client.get(path).status_code in (403, 404)

    client.force_login(personas.credit_manager)
    assert client.get(path).status_code in (200, 403)  # staff reach the page or its own rule


def test_staff_pages_naming_a_debtor_refuse_client_users(client, personas, book):
    client.force_login(personas.viewer_a)

    for path in (f"/portfolio/debtors/{book.rossi.pk}/", f"/credit/debtors/{book.rossi.pk}/",
                 f"/scoring/debtors/{book.rossi.pk}/"):
        assert client.get(path).status_code == 403, path
    # Another client's debtor: the staff page's own answer, the same as for no debtor at all.
    assert client.get(f"/portfolio/debtors/{book.bianchi.pk}/").status_code == 404


def test_a_client_users_navigation_shows_only_the_portal(client, personas, book):
    client.force_login(personas.viewer_a)

    page = client.get(reverse("insights:portal_debtors")).content.decode()
    nav = page.split('<nav aria-label="Main">', 1)[1].split("</nav>", 1)[0]

    assert reverse("insights:portal_promises") in nav
    for staff in ("/collections/", "/caring/", "/credit/", "/scoring/", "/portfolio/",
                  "Collections", "Caring", "Scoring"):
        assert staff not in nav, staff


def test_the_debtor_list_searches_filters_and_pages(client, personas, book):
    client.force_login(personas.viewer_a)
    url = reverse("insights:portal_debtors")

    everyone = client.get(url).content.decode()
    assert "Idraulica Rossi" in everyone and "Verdi Costruzioni" in everyone
    assert "Ferramenta Bianchi" not in everyone

    found = client.get(url, {"q": "rossi"}).content.decode()
    assert "Idraulica Rossi" in found and "Verdi Costruzioni" not in found

    disputed = client.get(url, {"status": "disputed"}).content.decode()
    assert "Verdi Costruzioni" in disputed and "Idraulica Rossi" not in disputed

    overdue = client.get(url, {"status": "overdue", "as_of": AS_OF.isoformat()}).content.decode()
    assert "Idraulica Rossi" in overdue and "Verdi Costruzioni" not in overdue

    # Nobody from another client, whatever the search names.
    assert "Ferramenta Bianchi" not in client.get(url, {"q": "BIANCHI"}).content.decode()


def test_the_debtor_list_pages_by_fifty(client, personas):
    from tests.factories import DebtorFactory

    DebtorFactory.create_batch(55, client=personas.client_a)
    client.force_login(personas.viewer_a)

    first = client.get(reverse("insights:portal_debtors"))
    second = client.get(reverse("insights:portal_debtors"), {"page": 2})

    assert len(first.context["rows"]) == 50
    assert len(second.context["rows"]) == 5


def test_an_unknown_filter_is_refused_naming_it(client, personas, book):
    client.force_login(personas.viewer_a)

    response = client.get(reverse("insights:portal_debtors"), {"status": "bogus"})

    assert response.status_code == 400
    assert "Unknown status 'bogus'" in html.unescape(response.content.decode())


def test_the_debtor_page_tells_the_story_without_staff_notes_or_coaching(client, personas,
                                                                         book):
    client.force_login(personas.viewer_a)

    page = client.get(reverse("insights:portal_debtor", args=[book.rossi.pk]),
                      {"as_of": AS_OF.isoformat()}).content.decode()

    assert "Idraulica Rossi" in page
    assert 'data-testid="story-entry"' in page
    assert "Promise to pay" in page
    assert "STAFF-ONLY" not in page
    assert 'data-testid="story-coaching"' not in page
    assert "A-2" in page and "A-3" in page  # the unpaid invoices
    assert "€120.00" in page or "120.00" in page  # the promise


def test_a_staff_member_reading_the_portal_sees_the_client_view_too(client, personas, book):
    """The portal shows what the client may see, whoever reads it."""
    client.force_login(personas.credit_manager)

    page = client.get(reverse("insights:portal_debtor", args=[book.rossi.pk])).content.decode()

    assert "Idraulica Rossi" in page
    assert "STAFF-ONLY" not in page


@pytest.mark.parametrize(("name", "status", "shown", "hidden"), [
    ("insights:portal_promises", "pending", "Idraulica Rossi", "Ferramenta Bianchi"),
    ("insights:portal_plans", "active", "Verdi Costruzioni", "Idraulica Rossi"),
    ("insights:portal_disputes", "open", "Verdi Costruzioni", "Idraulica Rossi"),
])
def test_agreement_lists_show_the_clients_own_rows(client, personas, book, name, status, shown,
                                                   hidden):
    client.force_login(personas.viewer_a)

    page = client.get(reverse(name), {"status": status}).content.decode()

    assert shown in page
    assert hidden not in page
    assert "Ferramenta Bianchi" not in page


def test_the_portal_speaks_italian(client, personas, book):
    client.force_login(personas.viewer_a)

    page = client.get("/it" + reverse("insights:portal"),
                      {"as_of": AS_OF.isoformat()}).content.decode()

    assert "Il tuo portafoglio" in page
    assert "1.600,00" in page
