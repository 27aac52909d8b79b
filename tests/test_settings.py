import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
@pytest.mark.parametrize("key_from", ["SECRET_KEY", "SECRET_KEY_FILE"])
def test_check_deploy_reports_nothing_with_debug_off(key_from: str, tmp_path: Path) -> None:
    """The documented production settings (docs/operations.md), the key given either way."""
    drop = {"DEBUG", "SECRET_KEY", "SECRET_KEY_FILE", "DB_POOL"}  # the pool on, as in production
    env = {k: v for k, v in os.environ.items() if k not in drop}
    key = "k" * 30 + "Zq8!x" * 6
    if key_from == "SECRET_KEY_FILE":
        (tmp_path / "secret_key").write_text(key + "\n")
        env["SECRET_KEY_FILE"] = str(tmp_path / "secret_key")
    else:
        env["SECRET_KEY"] = key
    env.update(
        DEBUG="0",
        ALLOWED_HOSTS="kolaborasi.example",
        CSRF_TRUSTED_ORIGINS="https://kolaborasi.example",
        BEHIND_TLS_PROXY="1",
        TRUSTED_PROXIES="1",
    )  # DATABASE_URL as the suite's (the check connects): PostgreSQL with its pool on CI
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


def _start(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Django's set-up in a fresh process with ``env`` on top of a clean environment."""
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "SECRET_KEY", "SECRET_KEY_FILE", "DATABASE_URL", "DJANGO_SETTINGS_MODULE"}
    }
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={**base, "DJANGO_SETTINGS_MODULE": "kolaborasi.settings", **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.slow
def test_debug_off_without_a_key_refuses_to_start() -> None:
    result = _start({"DEBUG": "0"})
    assert result.returncode != 0
    assert "DEBUG is off and no secret key is configured" in result.stderr


@pytest.mark.slow
def test_a_key_file_is_read_and_a_missing_one_refused(tmp_path: Path) -> None:
    key = tmp_path / "secret_key"
    key.write_text("k" * 60 + "\n")
    key.chmod(0o600)
    assert _start({"DEBUG": "0", "SECRET_KEY_FILE": str(key)}).returncode == 0
    missing = _start({"DEBUG": "0", "SECRET_KEY_FILE": str(tmp_path / "nowhere")})
    assert missing.returncode != 0 and "cannot be read" in missing.stderr
    short = _start({"DEBUG": "0", "SECRET_KEY": "pendek"})
    assert short.returncode != 0 and "at least 50" in short.stderr


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("SECURE_SSL_REDIRECT", "maybe", "SECURE_SSL_REDIRECT must be 1 or 0"),
        ("DB_POOL_MAX_SIZE", "0", "DB_POOL_MAX_SIZE must be at least 1"),
        ("CONN_MAX_AGE", "-1", "CONN_MAX_AGE must be at least 0"),
        ("DATABASE_URL", "mysql://x@y/z", "DATABASE_URL must start with postgres://"),
        ("TIME_ZONE", "Asia/Jakartaa", "TIME_ZONE must be one of"),
        ("LOG_LEVEL", "LOUD", "LOG_LEVEL must be one of"),
        ("SITE_URL", "bantuan.example", "SITE_URL must be an http:// or https:// address"),
        ("REDIS_URL", "localhost:6379", "REDIS_URL must start with redis://"),
        ("ALLOWED_HOSTS", "https://bantuan.example", "ALLOWED_HOSTS holds host names"),
        ("CSRF_TRUSTED_ORIGINS", "bantuan.example", "CSRF_TRUSTED_ORIGINS holds origins"),
        ("EMAIL_BACKEND", "smtp", "EMAIL_BACKEND must be a dotted Python path"),
        ("DEFAULT_FROM_EMAIL", "noreply", "DEFAULT_FROM_EMAIL must be an address"),
        ("DB_POOL_MIN_SIZE", "9", "must not exceed DB_POOL_MAX_SIZE"),
        ("METRICS_TOKEN", "pendek", "METRICS_TOKEN has 6 characters; it needs at least 32"),
        ("METRICS_TOKEN", "x" * 40 + " y", "METRICS_TOKEN may hold only letters"),
    ],
)
def test_malformed_settings_stop_the_start(name: str, value: str, says: str) -> None:
    result = _start({"DEBUG": "1", name: value})
    assert result.returncode != 0
    assert says in result.stderr
