"""The deployment files in deploy/ stay true to the code: the systemd units start the
real entry points from the checkout they name, and nginx accepts the site configuration
(`nginx -t`, with a throw-away certificate; skipped where nginx is not installed)."""

from __future__ import annotations

import configparser
import importlib
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import get_commands

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"


def _unit(name: str) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string((DEPLOY / name).read_text())
    return parser["Service"]


def test_the_units_start_the_real_entry_points() -> None:
    app, worker = _unit("kolaborasi.service"), _unit("kolaborasi-worker.service")
    for service in (app, worker):
        home = Path(service["WorkingDirectory"])
        assert service["ExecStart"].startswith(str(home / ".venv" / "bin") + "/")
        assert service["ReadWritePaths"] == str(home / "var")
        assert service["EnvironmentFile"] == "/etc/kolaborasi/env"
    command = shlex.split(app["ExecStart"])
    assert Path(command[0]).name == "gunicorn"
    config = command[command.index("-c") + 1]
    assert config.startswith("python:")
    importlib.import_module(config.removeprefix("python:"))  # the settings gunicorn reads
    assert hasattr(importlib.import_module(command[-1]), "application")
    name, subcommand = shlex.split(worker["ExecStart"])
    assert Path(name).name == "kolaborasi" and subcommand in get_commands()


@pytest.mark.skipif(not (shutil.which("nginx") and shutil.which("openssl")), reason="needs nginx and openssl")
def test_nginx_accepts_the_site(tmp_path: Path) -> None:
    certs = tmp_path / "certs"
    certs.mkdir()
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=test",
            "-keyout",
            str(certs / "privkey.pem"),
            "-out",
            str(certs / "fullchain.pem"),
        ],
        check=True,
        capture_output=True,
    )
    site = (DEPLOY / "nginx.conf").read_text()
    site = site.replace("/etc/letsencrypt/live/bantuan.example.go.id/", f"{certs}/")
    site = site.replace("/etc/nginx/kolaborasi_proxy.conf", str(DEPLOY / "nginx-proxy.conf"))
    site = site.replace("/var/cache/nginx/kolaborasi", str(tmp_path / "cache"))
    (tmp_path / "site.conf").write_text(site)
    main = tmp_path / "nginx.conf"
    main.write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n    access_log off;\n    include {tmp_path}/site.conf;\n}}\n"
    )
    result = subprocess.run(["nginx", "-t", "-c", str(main)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
