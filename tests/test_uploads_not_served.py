"""Uploaded files (import files and their checked copies) are never served by URL, not even in
the embedded mode (DEBUG on), to anyone: anonymous, another client's user, or the uploader."""

import importlib

import pytest
from django.urls import clear_url_caches

pytestmark = pytest.mark.django_db


@pytest.fixture
def debug_urls(settings, tmp_path):
    """The URL configuration as the embedded mode builds it (DEBUG on at import)."""
    import config.urls

    settings.DEBUG = True
    settings.MEDIA_ROOT = tmp_path
    importlib.reload(config.urls)
    clear_url_caches()
    yield tmp_path
    settings.DEBUG = False
    importlib.reload(config.urls)
    clear_url_caches()


def test_it_serves_no_uploaded_file_in_the_embedded_mode(client, personas, debug_urls):
    upload = debug_urls / "imports" / "2026" / "03"
    upload.mkdir(parents=True)
    (upload / "debtors.csv").write_text("external_ref,name\nSECRET-1,Rossi Mario\n")
    (upload / "debtors.checked.csv").write_text("SECRET-1,Rossi Mario\n")

    for user in (None, personas.viewer_b, personas.credit_manager, personas.admin):
        if user is not None:
            client.force_login(user)
        for name in ("debtors.csv", "debtors.checked.csv"):
            response = client.get(f"/media/imports/2026/03/{name}")
            assert response.status_code == 404, (user, name)
            assert b"Rossi" not in response.content
