"""The seed's REST API under ``/api`` (the Dicom-Tools web backend): same paths, same JSON.

``filename`` in the seed's answers is our opaque instance id (32 hex digits, a hash of the SOP
Instance UID), never a path; routes refuse any other id with 400 before the store is asked.
Every value comes from an operation run through the registry (``web.ops``) on the stored
instance; ``web.shapes`` puts the results in the seed's shapes.
"""

from __future__ import annotations

from typing import Annotated, Any, BinaryIO

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import FileResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from dicom_tools.errors import DicomToolsError
from dicom_tools.web import shapes
from dicom_tools.web.deps import ID_PATTERN, get_store, record_or_404
from dicom_tools.web.ops import run, scratch

router = APIRouter(prefix="/api", tags=["seed REST API"])

Id = Annotated[str, Path(pattern=ID_PATTERN, description="instance id (from an upload)")]
StoreDep = Annotated[Any, Depends(get_store)]

_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            }
        },
    }
}


def summary(store: Any, record: Any) -> dict[str, Any]:
    """The upload's answer: ``info``, ``validation`` and ``pixel_format`` of a stored record."""
    described = run("info", store.source(record), verbose=True).data
    checked = run("validate", store.source(record)).data
    pixels = shapes.has_pixel_data(described)
    measured = None
    if pixels:
        try:  # the pixel format as the decoder sees it (first frame only: cheap)
            measured = run("stats", store.source(record), frame=0).data
        except DicomToolsError:
            measured = None  # stored anyway; /api/stats reports why it cannot decode
    return {
        "success": True,
        "filename": record.id,
        "info": shapes.info(described),
        "validation": shapes.validation(checked, pixels),
        "pixel_format": shapes.pixel_format(measured, described),
    }


def _ingest(store: Any, data: BinaryIO) -> dict[str, Any]:
    data.seek(0)
    stored = store.ingest(data, name="upload")
    return summary(store, stored.record)


@router.post(
    "/upload",
    summary="Store a DICOM file (multipart field 'file')",
    openapi_extra=_UPLOAD_BODY,
)
async def upload(request: Request, store: StoreDep) -> dict[str, Any]:
    """Store the instance (once: the same instance again gives the same id; another object
    with the same SOP Instance UID is a 409) and describe it. The body is spooled to a
    temporary file as it arrives, never held whole in memory."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "multipart/form-data":
        raise HTTPException(415, "expected multipart/form-data with the file in field 'file'")
    form = await request.form(max_files=1, max_fields=8)
    try:
        part = form.get("file")
        if not isinstance(part, UploadFile):
            raise HTTPException(400, "no file in field 'file'")
        return await run_in_threadpool(_ingest, store, part.file)
    finally:
        await form.close()


@router.get("/metadata/{id}", summary="Patient, study, image and other attributes")
def metadata(id: Id, store: StoreDep) -> dict[str, dict[str, str]]:
    record = record_or_404(store, id)
    return shapes.metadata(run("info", store.source(record)).data)


@router.get("/stats/{id}", summary="Pixel statistics over every frame")
def stats(id: Id, store: StoreDep) -> dict[str, Any]:
    record = record_or_404(store, id)
    return shapes.stats(run("stats", store.source(record)).data)


@router.get("/histogram/{id}", summary="Histogram of the pixel values")
def histogram(
    id: Id, store: StoreDep, bins: Annotated[int, Query(description="number of bins")] = 256
) -> dict[str, Any]:
    if bins < 1:
        raise HTTPException(400, f"bins must be at least 1, got {bins}")
    record = record_or_404(store, id)
    data = run("histogram", store.source(record), bins=bins).data
    channels = data.get("channels") or []
    if len(channels) > 1:  # colour: bin every channel over one common range, then sum
        span = [min(c["min"] for c in channels), max(c["max"] for c in channels)]
        data = run("histogram", store.source(record), bins=bins, range=span).data
    return shapes.histogram(data)


@router.get(
    "/image/{id}",
    summary="PNG of one frame (the first by default)",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}}},
)
def image(
    id: Id,
    store: StoreDep,
    frame: Annotated[int, Query(ge=0, description="frame number, from 0")] = 0,
    wc: Annotated[float | None, Query(description="window center (with ww)")] = None,
    ww: Annotated[float | None, Query(description="window width (with wc)")] = None,
) -> Response:
    record = record_or_404(store, id)
    with scratch() as folder:
        out = folder / "frame.png"
        run(
            "to_image",
            store.source(record),
            out,
            format="png",
            frame=frame,
            window_center=wc,
            window_width=ww,
        )
        return Response(out.read_bytes(), media_type="image/png")


@router.post("/anonymize/{id}", summary="De-identify into a new stored instance")
def anonymize(id: Id, store: StoreDep) -> dict[str, Any]:
    record = record_or_404(store, id)
    with scratch() as folder:
        out = folder / "anonymized.dcm"
        run("anonymize", store.source(record), out)
        stored = store.ingest(out)
    return {"success": True, "filename": stored.record.id}


@router.get("/validate/{id}", summary="Check the instance against the standard")
def validate(id: Id, store: StoreDep) -> dict[str, Any]:
    record = record_or_404(store, id)
    checked = run("validate", store.source(record)).data
    described = run("info", store.source(record), verbose=True).data
    return shapes.validate(checked, shapes.has_pixel_data(described))


@router.get(
    "/json/{id}",
    summary="The instance as DICOM JSON (PS3.18 Annex F)",
    response_class=Response,
    responses={200: {"content": {"application/json": {}}}},
)
def as_json(id: Id, store: StoreDep) -> Response:
    record = record_or_404(store, id)
    payload = run("to_json", store.source(record), "-").payload
    return Response(payload, media_type="application/json")


@router.get(
    "/download/{id}",
    summary="The stored file",
    response_class=FileResponse,
    responses={200: {"content": {"application/dicom": {}}}},
)
def download(id: Id, store: StoreDep) -> FileResponse:
    record = record_or_404(store, id)
    return FileResponse(
        store.path(record), media_type="application/dicom", filename=f"{record.id}.dcm"
    )
