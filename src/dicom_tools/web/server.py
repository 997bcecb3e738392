"""``dicom-tools web``: check the settings, prepare the store, print the URL, run uvicorn.

Entry for the command line: ``main(options)`` with the verb's options (contract names); the
command line imports it by name when the verb runs, so neither depends on the other.
"""

from __future__ import annotations

import os
import socket
import sys
from typing import Any

from dicom_tools.errors import UsageError
from dicom_tools.web.settings import ENV, Settings


def settings_from_options(options: dict[str, Any]) -> Settings:
    return Settings(
        host=options.get("host") or "127.0.0.1",
        port=int(options.get("port", 3000)),
        data_dir=options.get("data_dir"),
        database_url=options.get("database_url"),
        token=options.get("token"),
        insecure=bool(options.get("insecure")),
        max_upload_mb=float(options.get("max_upload_mb") or 2048),
        cors=tuple(options.get("cors") or ()),
        workers=int(options.get("workers") or 1),
    ).check()


def _probe(settings: Settings) -> None:
    """Fail now, in one line, if the address cannot be bound (in use, not ours)."""
    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((settings.host.strip("[]"), settings.port))
        except OSError as exc:
            raise UsageError(
                f"cannot listen on {settings.host}:{settings.port}: {exc.strerror or exc}"
            ) from None


def _say(text: str) -> None:
    """Print a line; a closed stdout does not stop a server."""
    try:
        print(text, flush=True)
    except (OSError, ValueError):
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):
            pass


def serve(settings: Settings) -> int:
    """Run the server until it is stopped. Ctrl-C (SIGINT) is a requested stop: 0 once the
    requests in flight are done and the store is closed. SIGTERM stops it as gracefully, then
    uvicorn re-raises the signal, so the process ends by it (what service managers expect)."""
    try:
        return _serve(settings)
    except KeyboardInterrupt:  # uvicorn re-raises the SIGINT it handled (or it came early)
        return 0


def _serve(settings: Settings) -> int:
    import uvicorn

    from dicom_tools.web.app import app_from_env, create_app, open_store

    settings.check()
    _probe(settings)
    store = open_store(settings)  # created, migrated and given its samples once, up front
    try:
        count = store.count()
    finally:
        store.close()
    # the database URL may hold a password: named by its kind only
    where = "PostgreSQL index" if settings.database_url else str(settings.store_dir)
    _say(
        f"dicom-tools web: serving {count} instance{'s' * (count != 1)} ({where}) on "
        f"{settings.url} (API documentation: {settings.url}docs)"
    )
    common = {"host": settings.host.strip("[]"), "port": settings.port, "log_level": "warning"}
    if settings.workers > 1:
        os.environ[ENV] = settings.to_env()
        uvicorn.run(
            f"{app_from_env.__module__}:app_from_env",
            factory=True,
            workers=settings.workers,
            **common,
        )
    else:
        uvicorn.run(create_app(settings), **common)
    return 0


def main(options: dict[str, Any]) -> int:
    return serve(settings_from_options(options))
