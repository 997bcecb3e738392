"""A real PostgreSQL server for the tests: a throw-away cluster on a loopback port.

``initdb`` makes a cluster in a temp dir, ``pg_ctl`` starts it on 127.0.0.1 and a free port
(unix sockets only inside the cluster's own dir) and stops it at the end of the session.
PostgreSQL refuses to run as root, and the tests run as root in CI: then the cluster belongs
to the ``postgres`` user (the Debian package creates it) and the tools run through ``runuser``.

Fixtures (import them into a test module: ``from postgres import postgres_url``):

- ``postgres_server`` (session): the running server, a ``PostgresServer``.
- ``postgres_url`` (session): ``postgresql+psycopg://...`` of a database made for the session.
- ``postgres_database`` (function): the URL of a new, empty database for one test.

Where initdb or pg_ctl cannot be found the fixtures skip with the reason, and fail under
DICOM_TOOLS_REQUIRE_REFERENCES=1 (``conftest.require_tool``), as every reference does.
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import missing_reference, require_tool

# The server's own durability is not under test (the tests kill clients, never the server):
# without fsync a test cluster starts and runs much faster.
_SERVER_OPTIONS = (
    "-c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "
    "-c full_page_writes=off -c max_connections=200"
)
_names = itertools.count(1)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    """A cluster in ``folder`` served on 127.0.0.1:``port``; superuser ``postgres``, trust auth
    (only loopback connections are accepted)."""

    def __init__(self, folder: Path, port: int, as_user: str | None) -> None:
        self.folder = folder
        self.port = port
        self.as_user = as_user  # run the tools as this user (we are root), else as ourselves
        self.pg_ctl = "pg_ctl"

    def _run(self, *command: str) -> None:
        prefix = ["runuser", "-u", self.as_user, "--"] if self.as_user else []
        proc = subprocess.run(
            [*prefix, *command], capture_output=True, text=True, timeout=120, cwd=self.folder
        )
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed: {proc.stderr or proc.stdout}")

    @classmethod
    def start(cls) -> PostgresServer:
        initdb, pg_ctl = require_tool("initdb"), require_tool("pg_ctl")
        as_user = None
        if os.geteuid() == 0:
            try:
                import pwd

                pwd.getpwnam("postgres")
            except KeyError:
                missing_reference("running as root and there is no postgres user to run initdb")
            if shutil.which("runuser") is None:
                missing_reference("running as root and runuser is missing: cannot run initdb")
            as_user = "postgres"
        folder = Path(tempfile.mkdtemp(prefix="dicom-tools-pg-"))
        if as_user:
            shutil.chown(folder, as_user, as_user)
        server = cls(folder, _free_port(), as_user)
        data = str(folder / "data")
        server._run(initdb, "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        options = f"{_SERVER_OPTIONS} -p {server.port} -c unix_socket_directories={folder}"
        server._run(pg_ctl, "-D", data, "-o", options, "-l", str(folder / "log"), "-w", "start")
        server.pg_ctl = pg_ctl
        return server

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str | None = None) -> str:
        """A new empty database; returns its SQLAlchemy URL."""
        import psycopg

        name = name or f"test_{os.getpid()}_{next(_names)}"
        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True
        ) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        try:
            self._run(self.pg_ctl, "-D", str(self.folder / "data"), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    server = PostgresServer.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres_url(postgres_server: PostgresServer) -> str:
    """The SQLAlchemy URL of a database made once for the session."""
    return postgres_server.create_database("dicom_tools")


@pytest.fixture
def postgres_database(postgres_server: PostgresServer) -> str:
    """The SQLAlchemy URL of a new, empty database for this test."""
    return postgres_server.create_database()
