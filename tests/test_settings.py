import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured

from config import env

ROOT = Path(__file__).resolve().parent.parent


def test_no_app_label_shadows_the_standard_library():
    labels = {config.label for config in apps.get_app_configs()}
    assert not labels & set(sys.stdlib_module_names)


@pytest.mark.parametrize(("reader", "value", "words"), [
    (env.env_bool, "maybe", "not a boolean"),
    (env.env_int, "12x", "not a whole number"),
    (env.env_timezone, "Mars/Olympus", "not an IANA time zone"),
    (env.env_database, "mysql://x", "scheme 'mysql'"),
    (env.env_broker, "kafka://x", "scheme 'kafka'"),
])
def test_malformed_environment_values_are_refused_by_name(monkeypatch, reader, value, words):
    monkeypatch.setenv("FIDO_TEST_VALUE", value)
    with pytest.raises(ImproperlyConfigured) as error:
        reader("FIDO_TEST_VALUE")
    assert "FIDO_TEST_VALUE" in str(error.value)
    assert words in str(error.value)


def test_a_missing_secret_stops_the_process(tmp_path):
    environment = {key: value for key, value in os.environ.items()
                   if key not in {"SECRET_KEY", "FIDO_EMBEDDED"}}
    environment["FIDO_VAR_DIR"] = str(tmp_path)
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=environment,
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def _check_deploy(tmp_path, **overrides: str) -> subprocess.CompletedProcess[str]:
    """`manage.py check --deploy` under production settings, with `overrides` applied."""
    environment = {key: value for key, value in os.environ.items()
                   if key not in {"FIDO_EMBEDDED", "DJANGO_DEBUG"}}
    environment.update({
        "FIDO_VAR_DIR": str(tmp_path),
        "SECRET_KEY": "x" * 30 + "-production-grade-secret-value-with-entropy-42",
        "DATABASE_URL": "postgres://fido@127.0.0.1:5432/fido",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
        "ALLOWED_HOSTS": "fido.example.com",
        **overrides,
    })
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60, check=False)


def test_check_deploy_is_clean_under_production_settings(tmp_path):
    result = _check_deploy(tmp_path)
    assert result.returncode == 0, result.stderr + result.stdout


def test_check_deploy_refuses_sqlite_outside_the_embedded_mode(tmp_path):
    # SQLite is the embedded demo's database; a production process must not start on it.
    result = _check_deploy(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'fido.sqlite3'}")
    assert result.returncode != 0
    assert "fido.E001" in result.stderr and "Production needs PostgreSQL" in result.stderr
