"""``create_app(settings)``: the FastAPI application, its store and its error answers.

The store is opened by the lifespan (one per worker process) and shared through
``deps.get_store``. Middleware, outermost first: CORS (only with ``--cors``; it answers
preflights, which carry no credentials, and lets ``Authorization`` through), then ``Guard``
(bearer token and size limit on ``/api`` and ``/dicomweb``).

Errors are JSON ``{"error", "status"}`` with the status that names the problem: 400 bad input
(not DICOM, truncated, a bad parameter or id), 404 unknown id, 409 another object under the
same SOP Instance UID, 413 too large, 415 wrong content type, 422 something the operations
cannot do with this instance (an undecodable pixel syntax); anything unexpected is a 500 whose
body says nothing about the code, logged by type and route only (no PHI: no values, no paths).
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from dicom_tools import __version__
from dicom_tools.errors import DicomToolsError, InputError, UsageError
from dicom_tools.web.security import BodyTooLarge, Guard
from dicom_tools.web.settings import Settings

log = logging.getLogger("dicom_tools.web")

# The samples a new store is given on its first start (pydicom's test files; pydicom is a
# dependency): a CT and an MR slice, a JPEG 2000 image and a two-frame RGB (RLE) image.
SAMPLES = ("CT_small.dcm", "MR_small.dcm", "JPEG2000.dcm", "SC_rgb_rle_2frame.dcm")
SAMPLES_MARK = ".samples-loaded"


def preload_samples(store: Any, data_dir: Any) -> int:
    """Store the sample files once, the first time this data directory is used; the mark file
    keeps them from coming back after a user deleted them. Returns how many were stored."""
    from pydicom.data import get_testdata_file

    mark = data_dir / SAMPLES_MARK
    if mark.exists():
        return 0
    count = 0
    for name in SAMPLES:
        path = get_testdata_file(name, download=False)
        if path:
            count += store.ingest(path).created
    mark.write_text("the sample files were stored on the first start\n")
    return count


def open_store(settings: Settings) -> Any:
    from dicom_tools.store import Store

    data_dir = settings.store_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    store = Store.open(data_dir, settings.database_url)
    if settings.samples:
        preload_samples(store, data_dir)
    return store


def _status(exc: DicomToolsError) -> int:
    if isinstance(exc, InputError | UsageError):
        return 400
    return 422  # a missing codec, an operation that reports a failure


def _json(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message, "status": status}, status_code=status, headers=headers)


def _conflict_type() -> type[Exception] | None:
    try:
        from dicom_tools.store import StoreConflict
    except ImportError:
        return None
    return StoreConflict  # type: ignore[no-any-return]


def add_error_handlers(app: FastAPI) -> None:
    conflict = _conflict_type()
    if conflict is not None:

        @app.exception_handler(conflict)
        async def on_conflict(request: Request, exc: Exception) -> JSONResponse:
            return _json(409, str(exc) or "another object is stored under this SOP Instance UID")

    @app.exception_handler(DicomToolsError)
    async def on_dicom_tools_error(request: Request, exc: DicomToolsError) -> JSONResponse:
        return _json(_status(exc), exc.render("api"))

    @app.exception_handler(BodyTooLarge)
    async def on_too_large(request: Request, exc: BodyTooLarge) -> JSONResponse:
        return _json(413, str(exc), {"connection": "close"})

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _json(exc.status_code, str(exc.detail), getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def on_invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        parts = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("path", "query"))
            parts.append(f"{where}: {err.get('msg', 'invalid')}")
        return _json(400, "; ".join(parts) or "invalid request")

    @app.exception_handler(Exception)
    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        route = request.scope.get("route")
        log.error("internal error %s on %s", type(exc).__name__, getattr(route, "path", "?"))
        return _json(500, "internal error")


def create_app(settings: Settings | None = None, store: Any = None) -> FastAPI:
    """The application for ``settings``; ``store``, when given, is used instead of opening one
    (and is not closed by the app)."""
    settings = (settings or Settings()).check()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own = store is None
        app.state.store = open_store(settings) if own else store
        try:
            yield
        finally:
            if own:
                app.state.store.close()

    app = FastAPI(
        title="dicom-tools",
        version=__version__,
        summary="The seed's REST API and DICOMweb over an instance store",
        lifespan=lifespan,
    )
    app.state.settings = settings
    add_error_handlers(app)

    from dicom_tools.web import api

    app.include_router(api.router)
    if importlib.util.find_spec("dicom_tools.web.dicomweb") is not None:
        from dicom_tools.web import dicomweb

        app.include_router(dicomweb.router)

    app.add_middleware(Guard, token=settings.token, max_body=settings.max_upload_bytes)
    if settings.cors:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors),
            allow_methods=["GET", "POST", "PUT", "DELETE", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type", "Accept", "Range"],
            expose_headers=["Content-Disposition", "Content-Length", "Content-Range"],
        )
    return app


def app_from_env() -> FastAPI:
    """The app of a worker process (``--workers N``): settings from the environment."""
    import os

    from dicom_tools.web.settings import ENV

    return create_app(Settings.from_env(os.environ[ENV]))
