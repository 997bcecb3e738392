"""Request dependencies shared by the routers (``api``, ``dicomweb``): the store and settings
opened once by the app's lifespan and kept on ``app.state``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import HTTPException, Request

if TYPE_CHECKING:
    from dicom_tools.store import InstanceRecord, Store
    from dicom_tools.web.settings import Settings

# The store's opaque ids: 32 lowercase hex digits (a hash of the SOP Instance UID). Checked
# before the store is asked, so no text a client sends is ever near a path.
ID_PATTERN = r"^[0-9a-f]{32}$"


def get_store(request: Request) -> Store:
    return request.app.state.store  # type: ignore[no-any-return]


def get_settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def record_or_404(store: Store, id: str) -> InstanceRecord:
    """The record with this REST id, or a 404 (the id's format is checked by the route)."""
    record = store.by_id(id)
    if record is None:
        raise HTTPException(status_code=404, detail=f"no instance {id}")
    return record
