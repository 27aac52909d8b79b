"""Databases of a test's own for the real processes it starts (a server, the worker, the
command line), beside the test database: ``migrated_sqlite`` and ``new_postgres``.

Migrating a new database is about ten seconds of Django's migration machinery, paid by
every test that started its processes on an empty database. A test process now migrates
one database of each kind once, with the real ``kolaborasi migrate``, and each test gets a
copy: a file copy on SQLite, ``CREATE DATABASE … TEMPLATE`` on PostgreSQL. A copy is the
database the command made, byte for byte on SQLite and row for row on PostgreSQL.

A plugin of tests/conftest.py."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
KOL = Path(sys.executable).with_name("kolaborasi")


def server_url() -> str:
    """The test database's PostgreSQL server, as ``postgres://user[:password]@host:port``."""
    d = connection.settings_dict
    auth = d["USER"] + (f":{d['PASSWORD']}" if d["PASSWORD"] else "")
    return f"postgres://{auth}@{d['HOST'] or '127.0.0.1'}:{d['PORT'] or 5432}"


def _admin() -> psycopg.Connection:
    return psycopg.connect(
        server_url().replace("postgres://", "postgresql://") + "/postgres", autocommit=True
    )


def _migrate(database_url: str, var_dir: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "REDIS_URL")
    }
    env.update(DEBUG="1", DATABASE_URL=database_url, KOLABORASI_VAR_DIR=str(var_dir))
    result = subprocess.run(
        [str(KOL), "migrate", "--no-input", "-v0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


@pytest.fixture(scope="session")
def migrated_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The file migrated once per test process: copy it, never open it."""
    folder = tmp_path_factory.mktemp("migrated-sqlite")
    path = folder / "migrated.sqlite3"
    _migrate(f"sqlite:///{path}", folder / "var")
    return path


@pytest.fixture
def migrated_sqlite(migrated_sqlite_template: Path, tmp_path: Path) -> Callable[..., str]:
    """``migrated_sqlite(name="site.sqlite3")``: the URL of a SQLite file in the test's
    folder with every migration applied and nothing else."""

    def _make(name: str = "site.sqlite3") -> str:
        path = tmp_path / name
        shutil.copyfile(migrated_sqlite_template, path)
        return f"sqlite:///{path}"

    return _make


@pytest.fixture(scope="session")
def _migrated_postgres_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    name = f"kol_template_{os.environ.get('PYTEST_XDIST_WORKER', 'gw0')}_{os.getpid()}"
    with _admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        _migrate(f"{server_url()}/{name}", tmp_path_factory.mktemp("migrated-postgres"))
        yield name
    finally:
        with _admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def new_postgres(request: pytest.FixtureRequest) -> Iterator[Callable[..., str]]:
    """``new_postgres(migrated=True)``: the URL of a new PostgreSQL database on the test
    database's server, with every migration applied (a copy of the template) or empty;
    dropped after the test. Skips the test on SQLite."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    made: list[str] = []

    def _make(*, migrated: bool = True) -> str:
        name = f"kol_test_{os.environ.get('PYTEST_XDIST_WORKER', 'gw0')}_{uuid.uuid4().hex[:10]}"
        template = request.getfixturevalue("_migrated_postgres_template") if migrated else None
        with _admin() as admin:
            admin.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        made.append(name)
        return f"{server_url()}/{name}"

    yield _make
    with _admin() as admin:
        for name in made:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
