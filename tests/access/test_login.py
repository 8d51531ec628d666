import pytest
from django.core import mail
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_each_role_lands_on_its_home_section(client, personas):
    for role, user in personas.by_role().items():
        client.force_login(user)
        response = client.get(reverse("home"))
        if role == "client_viewer":  # a client user's home is its client portal
            assert response.status_code == 302
            assert response["Location"] == reverse("insights:portal")
            continue
        assert response.status_code == 200
        assert f'data-testid="home-{role}"' in response.content.decode()


def test_login_is_locked_after_repeated_failures(client, personas, settings):
    settings.LOGIN_MAX_FAILURES = 3
    for _ in range(3):
        client.post(reverse("login"), {"username": "agent_a", "password": "wrong"})

    response = client.post(reverse("login"),
                           {"username": "agent_a", "password": "correct-horse-battery"})

    assert response.status_code == 200  # the form again, not a redirect
    assert "Too many failed attempts" in response.content.decode()


def test_a_correct_login_redirects_home(client, personas):
    response = client.post(reverse("login"),
                           {"username": "agent_a", "password": "correct-horse-battery"})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_password_reset_sends_a_link_by_email(client, personas):
    client.post(reverse("password_reset"), {"email": personas.agent.email})
    assert len(mail.outbox) == 1
    assert "/password-reset/" in mail.outbox[0].body


def test_the_home_page_speaks_italian_when_asked(client, personas):
    client.force_login(personas.agent)
    client.post(reverse("set_language"), {"language": "it", "next": "/"})
    response = client.get("/it/")
    assert response.status_code == 200
    assert 'lang="it"' in response.content.decode()


# --- one throttle for every way to authenticate ------------------------------------------------

TOKEN_URL = "/api/v1/auth/token/"


def _web_login(client, username, password="wrong"):  # noqa: S107
    return client.post(reverse("login"), {"username": username, "password": password})


def test_it_refuses_a_token_to_a_user_locked_out_on_the_web(client, personas, settings):
    settings.LOGIN_MAX_FAILURES = 3
    for _ in range(3):
        _web_login(client, "agent_a")

    response = client.post(TOKEN_URL, {"username": "agent_a",
                                       "password": "correct-horse-battery"})

    assert response.status_code == 429
    assert "Too many failed attempts" in response.json()["error"]["message"]
    assert "token" not in response.json()


def test_failures_at_the_token_endpoint_lock_the_web_login(client, personas, settings):
    settings.LOGIN_MAX_FAILURES = 3
    for _ in range(3):
        assert client.post(TOKEN_URL, {"username": "agent_a",
                                       "password": "wrong"}).status_code == 400

    response = _web_login(client, "agent_a", "correct-horse-battery")

    assert response.status_code == 200
    assert "Too many failed attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_admin_login_is_throttled_too(client, personas, settings):
    settings.LOGIN_MAX_FAILURES = 3
    url = reverse("admin:login")
    for _ in range(3):
        client.post(url, {"username": "admin_x", "password": "wrong"})

    response = client.post(url, {"username": "admin_x", "password": "correct-horse-battery"})

    assert response.status_code == 200
    assert "Too many failed attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_many_usernames_from_one_address_are_throttled(client, personas, settings):
    """Slow password spraying: one guess for each of many usernames."""
    settings.LOGIN_MAX_FAILURES_PER_ADDRESS = 4
    for name in ("leader_a", "manager_a", "committee_a", "nobody"):
        _web_login(client, name)

    web = _web_login(client, "agent_a", "correct-horse-battery")
    token = client.post(TOKEN_URL, {"username": "agent_a", "password": "correct-horse-battery"})

    assert "Too many failed sign-ins from your network" in web.content.decode()
    assert token.status_code == 429


def test_the_lock_is_per_address(client, personas, settings):
    settings.LOGIN_MAX_FAILURES = 3
    for _ in range(3):
        _web_login(client, "agent_a")

    response = client.post(reverse("login"), {"username": "agent_a",
                                              "password": "correct-horse-battery"},
                           REMOTE_ADDR="192.0.2.7")

    assert response.status_code == 302


def test_the_token_endpoint_has_a_rate_of_its_own(client, personas):
    """DRF's token view turns throttling off; ours answers 429 past the "login" rate."""
    statuses = [client.post(TOKEN_URL, {"username": f"user{n}", "password": "x"}).status_code
                for n in range(11)]

    assert statuses[:10] == [400] * 10
    assert statuses[10] == 429


def test_a_correct_token_request_gets_a_token(client, personas):
    response = client.post(TOKEN_URL, {"username": "agent_a",
                                       "password": "correct-horse-battery"})
    assert response.status_code == 200
    assert response.json()["token"]


def test_the_lock_message_speaks_italian(client, personas, settings):
    settings.LOGIN_MAX_FAILURES = 1
    _web_login(client, "agent_a")

    response = client.post("/it/login/", {"username": "agent_a", "password": "x"})

    assert "Troppi tentativi non riusciti" in response.content.decode()
