"""Helpers of the web tests that run real ``dicom-tools web`` processes and STOW into them:
synthesised instances, a STOW request, a server process, and the store's index and blob
directory read directly (SQL on the index, the documented blob layout), not through the store.

A module of its own, not a conftest.py: tests/conftest.py is imported by that name."""

from __future__ import annotations

import hashlib
import io
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pydicom

BOUNDARY = "stowingBoundary7f3a"
DICOM_TS_ANY = 'multipart/related; type="application/dicom"; transfer-syntax=*'


def uid_of(data: bytes) -> str:
    return str(pydicom.dcmread(io.BytesIO(data), stop_before_pixels=True).SOPInstanceUID)


def stow(base: str, blobs: list[bytes], timeout: float = 60) -> httpx.Response:
    """POST ``blobs`` to ``{base}dicomweb/studies`` as one multipart/related request."""
    body = b"".join(
        f"--{BOUNDARY}\r\nContent-Type: application/dicom\r\n\r\n".encode() + b + b"\r\n"
        for b in blobs
    )
    body += f"--{BOUNDARY}--\r\n".encode()
    ctype = f'multipart/related; type="application/dicom"; boundary={BOUNDARY}'
    return httpx.post(
        f"{base}dicomweb/studies",
        content=body,
        headers={"Content-Type": ctype, "Accept": "application/dicom+json"},
        timeout=timeout,
    )


def referenced(response: httpx.Response) -> list[str]:
    """The SOP Instance UIDs a STOW response says were stored (Referenced SOP Sequence)."""
    items = response.json().get("00081199", {}).get("Value", [])
    return [item["00081155"]["Value"][0] for item in items]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``dicom-tools web`` in a process of its own on 127.0.0.1 (stderr to a file, so a busy
    server never blocks on a full pipe)."""

    def __init__(self, data_dir: Path, database_url: str | None, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        args = ["web", "--port", str(self.port), "--data-dir", str(data_dir)]
        if database_url:
            args += ["--database-url", database_url]
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        env.pop("DICOM_TOOLS_WEB_TOKEN", None)
        self.log = log
        with open(log, "ab") as err:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "dicom_tools", *args],
                stdout=subprocess.DEVNULL,
                stderr=err,
                env=env,
            )

    def wait_up(self, timeout: float = 60) -> Server:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited {self.proc.returncode}: {self.errors()}")
            try:
                if httpx.get(self.url + "openapi.json", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.1)
        raise AssertionError("server did not come up")

    def errors(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> int:
        """Ctrl-C, as a user stops it; returns the exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(2)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise
        return self.proc.returncode


def index_rows(data_dir: Path, database_url: str | None) -> dict[str, tuple[str, str]]:
    """{SOP Instance UID: (its id, its sha256)} as the index's instance table holds them."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url or f"sqlite:///{data_dir / 'index.sqlite'}")
    try:
        with engine.connect() as conn:
            rows = conn.execute(text('SELECT "SOPInstanceUID", id, sha256 FROM instances')).all()
    finally:
        engine.dispose()
    return {uid: (id, sha) for uid, id, sha in rows}


def layout_name(uid: str) -> str:
    """The file name the store's documented layout gives the blob of ``uid``."""
    return hashlib.sha256(uid.encode()).hexdigest()


def blob_files(data_dir: Path) -> dict[str, Path]:
    """Every file under the blob directory but its temp folder, by name."""
    return {p.name: p for p in (data_dir / "blobs").glob("??/??/*") if p.is_file()}


def assert_consistent(data_dir: Path, database_url: str | None) -> dict[str, Any]:
    """Rows and blobs agree one to one, each blob hashing to its row's sha256, no temp file
    left; returns the rows."""
    rows = index_rows(data_dir, database_url)
    blobs = blob_files(data_dir)
    assert set(blobs) == {layout_name(uid) for uid in rows}, "an orphan blob or index row"
    assert not any((data_dir / "blobs" / "tmp").iterdir()), "a temp file left behind"
    for uid, (_, sha) in rows.items():
        assert hashlib.sha256(blobs[layout_name(uid)].read_bytes()).hexdigest() == sha, uid
    return rows
