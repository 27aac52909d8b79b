"""Rotating the secret key (docs/operations.md, "Key rotation"): the new key on the first
line of SECRET_KEY_FILE, the old one on the next line (Django's SECRET_KEY_FALLBACKS).
People signed in under the old key stay signed in while it is a fallback; once it is
removed, sessions not used meanwhile end. E-mailed links are random single-use tokens
kept hashed in the database, so a rotation never breaks one. A malformed key file
stops the start with what is wrong."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from kolaborasi.environment import secret_keys
from tests.personas import login
from tests.tasks_support import run_tasks

ROOT = Path(__file__).resolve().parents[1]
OLD = "old-" + "o" * 60
NEW = "new-" + "n" * 60
NEW_PASSWORD = "Sandi-baru-yang-kuat-2026"


def _rotate_to(settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, text: str) -> None:  # type: ignore[no-untyped-def]
    """The site restarted with SECRET_KEY_FILE holding ``text``, read as at start."""
    path = tmp_path / "secret_key"
    path.write_text(text)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("SECRET_KEY_FILE", str(path))
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = secret_keys(debug=False, var_dir=tmp_path)


def _signed_in(client: Client) -> bool:
    response = client.get("/akun/")
    assert response.status_code in {200, 302}
    return response.status_code == 200


def test_the_further_lines_of_the_key_file_are_the_old_keys(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "secret_key"
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("SECRET_KEY_FILE", str(path))
    path.write_text(f"{NEW}\n")
    assert secret_keys(debug=False, var_dir=tmp_path) == (NEW, [])
    path.write_text(f"\n{NEW}\n\n{OLD}\n  {'x' * 55}  \n")
    assert secret_keys(debug=False, var_dir=tmp_path) == (NEW, [OLD, "x" * 55])


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (f"{NEW}\n{OLD}\n{OLD}\n", r"line 3 repeats the key on line 2"),
        (f"{NEW}\n{NEW}\n", r"line 2 repeats the key on line 1"),
        (f"{NEW}\npendek\n", r"the old key on line 2 has 6 characters; production needs at least 50"),
        ("\n\n", r"is empty"),
    ],
)
def test_a_malformed_key_file_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, text: str, says: str
) -> None:
    path = tmp_path / "secret_key"
    path.write_text(text)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("SECRET_KEY_FILE", str(path))
    with pytest.raises(ImproperlyConfigured, match=says):
        secret_keys(debug=False, var_dir=tmp_path)


def test_fallbacks_from_the_environment_are_refused_not_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_KEY", NEW)
    monkeypatch.delenv("SECRET_KEY_FILE", raising=False)
    monkeypatch.setenv("SECRET_KEY_FALLBACKS", OLD)
    with pytest.raises(ImproperlyConfigured, match="put the old keys on the lines after the current key"):
        secret_keys(debug=False, var_dir=Path("/nonexistent"))


@pytest.mark.slow
def test_the_site_starts_with_an_old_key_and_refuses_a_repeated_one(tmp_path: Path) -> None:
    path = tmp_path / "secret_key"
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "SECRET_KEY", "SECRET_KEY_FILE", "DATABASE_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env = {
        **base,
        "DJANGO_SETTINGS_MODULE": "kolaborasi.settings",
        "DEBUG": "0",
        "SECRET_KEY_FILE": str(path),
    }
    show = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.SECRET_KEY_FALLBACKS)"
    )

    def start() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", show], env=env, cwd=ROOT, capture_output=True, text=True, check=False
        )

    path.write_text(f"{NEW}\n{OLD}\n")
    started = start()
    assert started.returncode == 0, started.stderr
    assert started.stdout.strip() == repr([OLD])
    path.write_text(f"{NEW}\n{OLD}\n{OLD}\n")
    refused = start()
    assert refused.returncode != 0 and "line 3 repeats the key on line 2" in refused.stderr


@pytest.mark.django_db
def test_sessions_survive_a_rotation_while_the_old_key_is_a_fallback(
    personas, settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    _rotate_to(settings, monkeypatch, tmp_path, f"{OLD}\n")
    busy, idle = Client(), Client()
    login(busy, personas["dina"])
    login(idle, personas["dina"])
    assert _signed_in(busy) and _signed_in(idle)

    # Rotated, the old key kept as a fallback: both still signed in.
    _rotate_to(settings, monkeypatch, tmp_path, f"{NEW}\n{OLD}\n")
    assert settings.SECRET_KEY_FALLBACKS == [OLD]
    assert _signed_in(busy)

    # The fallback removed: the session used meanwhile was moved to the new key and
    # stays; the one not used since the rotation ends (sign in again).
    _rotate_to(settings, monkeypatch, tmp_path, f"{NEW}\n")
    assert _signed_in(busy)
    assert not _signed_in(idle)

    # Without the fallback from the start, every session of the old key ends at once.
    _rotate_to(settings, monkeypatch, tmp_path, f"{OLD}\n")
    fresh = Client()
    login(fresh, personas["dina"])
    _rotate_to(settings, monkeypatch, tmp_path, f"{NEW}\n")
    assert not _signed_in(fresh)


@pytest.mark.django_db
def test_an_emailed_link_made_under_the_old_key_works_after_the_rotation(
    client: Client,
    personas,
    settings,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    django_capture_on_commit_callbacks,
) -> None:  # type: ignore[no-untyped-def]
    _rotate_to(settings, monkeypatch, tmp_path, f"{OLD}\n")
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/akun/sandi/lupa/", {"email": "dina@example.org"})
    run_tasks()
    match = re.search(r"http://testserver(/akun/sandi/atur/[^\s]+/)", str(mail.outbox[0].body))
    assert match, mail.outbox[0].body

    # Rotated with the old key dropped at once: the link is a random token, not signed.
    _rotate_to(settings, monkeypatch, tmp_path, f"{NEW}\n")
    browser = Client()
    response = browser.get(match.group(1))
    assert response.status_code == 302
    form_url = response["Location"]
    assert browser.get(form_url).context["validlink"] is True
    response = browser.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/akun/sandi/selesai/"
    dina = personas["dina"].user
    dina.refresh_from_db()
    assert dina.check_password(NEW_PASSWORD)
