"""Helpers of the web tests: an app on a fresh store (no samples), driven by TestClient.

A module of its own, not a conftest.py: tests/conftest.py is imported by that name."""

from __future__ import annotations

import os
from pathlib import Path

from fastapi.testclient import TestClient

from dicom_tools.web.app import create_app
from dicom_tools.web.settings import Settings


def make_client(tmp_path: Path, **settings) -> TestClient:
    settings.setdefault("samples", False)
    app = create_app(Settings(data_dir=os.fspath(tmp_path / "store"), **settings))
    return TestClient(app, raise_server_exceptions=False)


def upload(client: TestClient, path: Path | str, **kw):
    with open(path, "rb") as f:
        return client.post(
            "/api/upload", files={"file": ("scan.dcm", f, "application/dicom")}, **kw
        )
