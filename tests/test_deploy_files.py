"""The deployment files in deploy/ stay true to the code: the systemd units start the
real entry points from the checkout they name, and nginx accepts the site configuration
(`nginx -t`, with a throw-away certificate; skipped where nginx is not installed) and,
running it on loopback in front of a stand-in app, passes /metrics to this machine only."""

from __future__ import annotations

import configparser
import http.client
import http.server
import importlib
import shlex
import shutil
import ssl
import subprocess
import threading
import time
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


NGINX = pytest.mark.skipif(
    not (shutil.which("nginx") and shutil.which("openssl")), reason="needs nginx and openssl"
)


def _site(tmp_path: Path) -> str:
    """deploy/nginx.conf with a throw-away certificate and the paths under ``tmp_path``."""
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
    return site.replace("/var/cache/nginx/kolaborasi", str(tmp_path / "cache"))


@NGINX
def test_nginx_accepts_the_site(tmp_path: Path) -> None:
    (tmp_path / "site.conf").write_text(_site(tmp_path))
    main = tmp_path / "nginx.conf"
    main.write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n    access_log off;\n    include {tmp_path}/site.conf;\n}}\n"
    )
    result = subprocess.run(["nginx", "-t", "-c", str(main)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


class _StandIn(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"app"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@NGINX
def test_nginx_passes_metrics_to_this_machine_only(tmp_path: Path) -> None:
    """The site's nginx on a loopback port in front of a stand-in app: /metrics reaches
    the app from 127.0.0.1 and is refused (403) from another address (127.0.0.2, also
    loopback), however the path is spelt; the rest of the site is served to both."""
    from tests.server import free_port

    app = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _StandIn)
    threading.Thread(target=app.serve_forever, daemon=True).start()
    port, plain = free_port(), free_port()
    site = _site(tmp_path)
    site = site.replace("server 127.0.0.1:8000;", f"server 127.0.0.1:{app.server_address[1]};")
    site = site.replace("listen 443 ssl http2;", f"listen 127.0.0.1:{port} ssl;")
    site = site.replace("listen 80;", f"listen 127.0.0.1:{plain};")
    site = "\n".join(line for line in site.splitlines() if "listen [::]" not in line)
    (tmp_path / "site.conf").write_text(site)
    temp = "\n".join(
        f"    {kind}_temp_path {tmp_path}/{kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    main = tmp_path / "nginx.conf"
    main.write_text(
        f"daemon off;\nmaster_process off;\npid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\n"
        f"events {{}}\nhttp {{\n    access_log off;\n{temp}\n    include {tmp_path}/site.conf;\n}}\n"
    )
    nginx = subprocess.Popen(["nginx", "-c", str(main)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE

    def get(path: str, source: str) -> int:
        conn = http.client.HTTPSConnection(
            "127.0.0.1", port, timeout=10, context=context, source_address=(source, 0)
        )
        try:
            conn.request("GET", path, headers={"Host": "bantuan.example.go.id"})
            return conn.getresponse().status
        finally:
            conn.close()

    try:
        for _ in range(100):
            assert nginx.poll() is None, nginx.stderr.read() if nginx.stderr else ""
            try:
                get("/healthz", "127.0.0.1")
                break
            except OSError:
                time.sleep(0.1)
        assert get("/metrics", "127.0.0.1") == 200
        assert get("/metrics?x=1", "127.0.0.1") == 200
        for path in ("/metrics", "/metrics?x=1", "/%6Detrics", "//metrics", "/./metrics"):
            assert get(path, "127.0.0.2") == 403, path
        assert get("/healthz", "127.0.0.2") == 200
        assert get("/", "127.0.0.2") == 200
    finally:
        nginx.terminate()
        nginx.wait(timeout=10)
        app.shutdown()
