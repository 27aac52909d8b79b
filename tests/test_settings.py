import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_check_deploy_reports_nothing_with_debug_off() -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG"}}
    env.update(DEBUG="0", SECRET_KEY="k" * 30 + "Zq8!x" * 6, ALLOWED_HOSTS="kolaborasi.example")
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.django_db
def test_security_headers_and_csp(client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "object-src 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "DATA SINTETIS" in response.text


@pytest.mark.django_db
def test_language_switch_to_english(client: Client) -> None:
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    page = client.get("/")
    assert 'lang="en"' in page.text
    assert "Map" in page.text  # nav translated
    # The person's choice holds whatever the browser prefers.
    assert 'lang="en"' in client.get("/", headers={"accept-language": "id"}).text


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("MAIL_MAX_ATTEMPTS", "0"),
        ("MAIL_RETRY_SECONDS", "-5"),
        ("SESSION_IDLE_MINUTES", "0"),
        ("SESSION_MAX_HOURS", "dua belas"),
        ("API_TOKEN_DAYS", "0"),
        ("EVIDENCE_RETENTION_DAYS", "7"),
        ("UNVERIFIED_ACCOUNT_DAYS", "tiga puluh"),
    ],
)
def test_bad_account_settings_stop_the_start(name: str, value: str) -> None:
    """A malformed or non-positive account setting is an error at start, not a silent 0."""
    env = {**os.environ, name: value, "DEBUG": "1", "DJANGO_SETTINGS_MODULE": "kolaborasi.settings"}
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert f"ValueError: {name} must be" in result.stderr
