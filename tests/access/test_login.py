import pytest
from django.core import mail
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_each_role_lands_on_its_home_section(client, personas):
    for role, user in personas.by_role().items():
        client.force_login(user)
        response = client.get(reverse("home"))
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
