"""DICOMweb under ``/dicomweb`` (PS3.18): STOW-RS, QIDO-RS and WADO-RS over the store.

The routes only parse, dispatch and format: multipart framing, negotiation, query parsing,
responses, metadata, frames, zip and rendering are in ``dicom_tools.dicomweb`` (its docstring
states each conformance decision); operations (transcode, to_image) run through the registry.
Blocking work (the store, files, codecs) runs in the thread pool; bodies stream both ways.
"""

from __future__ import annotations

import io
import logging
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi import Path as PathParam
from fastapi.responses import Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from dicom_tools.dicomweb import negotiate as N
from dicom_tools.dicomweb import stow as W
from dicom_tools.dicomweb.mediatype import format_media_type, parse_media_type
from dicom_tools.dicomweb.multipart import (
    SPOOL_BYTES,
    MultipartError,
    Part,
    aiter_parts,
    boundary_of,
    close_delimiter,
    part_head,
    write_parts,
)
from dicom_tools.errors import DicomToolsError, InputError, UsageError
from dicom_tools.web.deps import get_settings, get_store

log = logging.getLogger("dicom_tools.web.dicomweb")

router = APIRouter(prefix="/dicomweb", tags=["DICOMweb"])

StoreDep = Annotated[Any, Depends(get_store)]
# UIDs (PS3.5 9.1): digits and dots, at most 64 characters; anything else is a 400 before the
# store is asked.
UID = r"^[0-9.]{1,64}$"
Study = Annotated[str, PathParam(pattern=UID, description="Study Instance UID")]
Series = Annotated[str, PathParam(pattern=UID, description="Series Instance UID")]
Instance = Annotated[str, PathParam(pattern=UID, description="SOP Instance UID")]
CHUNK = 256 * 1024


def _base(request: Request) -> str:
    """The absolute URL of ``/dicomweb`` for RetrieveURLs and BulkDataURIs, from the Host
    header. dicomweb-client sends ``Host`` without the port; when the host named is the very
    address the server listens on (a direct connection, not a proxy's public name), the port
    it listens on is put back."""
    url = request.base_url
    server = request.scope.get("server")
    if url.port is None and server and url.hostname == server[0]:
        default = {"http": 80, "https": 443}.get(url.scheme)
        if server[1] != default:
            url = url.replace(port=server[1])
    return str(url).rstrip("/") + router.prefix


def _not_acceptable(what: str, accept: str | None) -> HTTPException:
    return HTTPException(406, f"cannot answer {what} as {accept!r}")


# ============================================================================================
# STOW-RS (PS3.18 10.5)


def _store_part(store: Any, part: Part, study: str | None, base: str) -> W.Outcome:
    where = f"part {part.index + 1}"
    if part.error is not None:
        reason = W.OUT_OF_RESOURCES if "limit" in part.error else W.CANNOT_UNDERSTAND
        return W.Outcome(None, None, reason=reason, message=f"{where}: {part.error}")
    ctype = part.content_type
    if ctype not in ("", N.DICOM):
        return W.Outcome(
            None,
            None,
            reason=W.CANNOT_UNDERSTAND,
            message=f"{where}: media type {ctype!r} is not application/dicom",
        )
    data: Any = part.body
    info = None
    if part.size <= SPOOL_BYTES:
        # Spooled in memory: read once, by the store's own reader (what it indexes, UIDs
        # included), and handed to ingest so it is not read twice.
        data = part.body.read()  # type: ignore[union-attr]
        try:
            info = store.inspect(data, name=where)
        except InputError as exc:  # named in the answer as far as a tolerant reader can
            sop_class, sop_uid, _ = W.peek_uids(io.BytesIO(data))
            return W.Outcome(sop_class, sop_uid, reason=W.CANNOT_UNDERSTAND, message=str(exc))
        v = info.values
        sop_class, sop_uid, study_uid = v["SOPClassUID"], v["SOPInstanceUID"], v["StudyInstanceUID"]
    else:  # on disk: the store reads it as it copies it
        sop_class, sop_uid, study_uid = W.peek_uids(part.body)  # type: ignore[arg-type]
    if study is not None and study_uid is not None and study_uid != study:
        return W.Outcome(
            sop_class,
            sop_uid,
            reason=W.DOES_NOT_MATCH,
            message=f"{where}: instance of another study than the one in the URL",
        )
    from dicom_tools.store import StoreConflict

    try:
        record = store.ingest(data, name=where, info=info).record
    except StoreConflict as exc:
        return W.Outcome(sop_class, sop_uid, reason=W.DUPLICATE_SOP_INSTANCE, message=str(exc))
    except InputError as exc:
        return W.Outcome(sop_class, sop_uid, reason=W.CANNOT_UNDERSTAND, message=str(exc))
    except DicomToolsError as exc:
        return W.Outcome(sop_class, sop_uid, reason=W.PROCESSING_FAILURE, message=str(exc))
    except Exception as exc:  # logged by type only (no PHI); the part fails, the rest go on
        log.error("STOW %s: %s", where, type(exc).__name__)
        return W.Outcome(sop_class, sop_uid, reason=W.PROCESSING_FAILURE, message="internal error")
    url = (
        f"{base}/studies/{record.study_instance_uid}/series/{record.series_instance_uid}"
        f"/instances/{record.sop_instance_uid}"
    )
    return W.Outcome(record.sop_class_uid, record.sop_instance_uid, retrieve_url=url)


async def _stow(request: Request, store: Any, study: str | None) -> Response:
    ctype = request.headers.get("content-type", "")
    mtype, params = parse_media_type(ctype)
    if mtype != N.MULTIPART:
        raise HTTPException(415, 'STOW-RS takes multipart/related; type="application/dicom"')
    if params.get("type", N.DICOM).lower() != N.DICOM:
        raise HTTPException(
            415, f"STOW-RS here takes application/dicom parts, not {params['type']!r}"
        )
    choice = N.choose_json(request.headers.get("accept"), xml=True)
    if choice is None:
        raise _not_acceptable("a STOW-RS response", request.headers.get("accept"))
    try:
        boundary = boundary_of(ctype)
    except MultipartError as exc:
        raise HTTPException(415, str(exc)) from None
    settings = get_settings(request)
    base = _base(request)
    outcomes: list[W.Outcome] = []
    try:
        async for part in aiter_parts(
            request.stream(), boundary, max_part_bytes=settings.max_upload_bytes
        ):
            try:
                outcomes.append(await run_in_threadpool(_store_part, store, part, study, base))
            finally:
                part.close()
    except MultipartError as exc:
        if not outcomes:
            raise HTTPException(400, f"malformed multipart body: {exc}") from None
        # The parts before the break are stored; the rest of the body cannot be read.
        outcomes.append(W.Outcome(None, None, reason=W.CANNOT_UNDERSTAND, message=str(exc)))
    if not outcomes:
        raise HTTPException(400, "the request holds no instance")
    for o in outcomes:
        if not o.ok:
            log.info("STOW failure 0x%04X: %s", o.reason, o.message.split(":")[0])
    studies = {o.retrieve_url.split("/series/")[0] for o in outcomes if o.retrieve_url}
    study_url = (
        f"{base}/studies/{study}" if study else (studies.pop() if len(studies) == 1 else None)
    )
    dataset = W.response_dataset(outcomes, study_url)
    status = W.response_status(outcomes)
    if choice.media_type == N.DICOM_XML:
        return Response(W.to_xml(dataset), status, media_type=N.DICOM_XML)
    import json

    return Response(json.dumps(dataset), status, media_type=N.DICOM_JSON)


@router.post("/studies", summary="STOW-RS: store instances")
async def stow(request: Request, store: StoreDep) -> Response:
    return await _stow(request, store, None)


@router.post("/studies/{study}", summary="STOW-RS: store instances of one study")
async def stow_study(request: Request, study: Study, store: StoreDep) -> Response:
    return await _stow(request, store, study)


# ============================================================================================
# QIDO-RS (PS3.18 10.6)


async def _qido(
    request: Request, store: Any, level: str, study: str | None = None, series: str | None = None
) -> Response:
    from dicom_tools.dicomweb.qido import finish, parse_query

    if N.choose_json(request.headers.get("accept")) is None:
        raise _not_acceptable("a search", request.headers.get("accept"))
    q = parse_query(request.query_params.multi_items())
    results = await run_in_threadpool(
        store.query,
        level,
        q.filters,
        study=study,
        series=series,
        limit=q.limit,
        offset=q.offset,
        fuzzy=q.fuzzy,
    )
    if not results:
        return Response(status_code=204)  # PS3.18 10.6.3.3.1: no results
    import json

    results = finish(results, level, q, _base(request), study, series)
    return Response(json.dumps(results), media_type=N.DICOM_JSON)


@router.get("/studies", summary="QIDO-RS: search for studies")
async def search_studies(request: Request, store: StoreDep) -> Response:
    return await _qido(request, store, "study")


@router.get("/series", summary="QIDO-RS: search for series")
async def search_series(request: Request, store: StoreDep) -> Response:
    return await _qido(request, store, "series")


@router.get("/instances", summary="QIDO-RS: search for instances")
async def search_instances(request: Request, store: StoreDep) -> Response:
    return await _qido(request, store, "instance")


@router.get("/studies/{study}/series", summary="QIDO-RS: search for a study's series")
async def search_study_series(request: Request, study: Study, store: StoreDep) -> Response:
    return await _qido(request, store, "series", study=study)


@router.get("/studies/{study}/instances", summary="QIDO-RS: search for a study's instances")
async def search_study_instances(request: Request, study: Study, store: StoreDep) -> Response:
    return await _qido(request, store, "instance", study=study)


@router.get(
    "/studies/{study}/series/{series}/instances",
    summary="QIDO-RS: search for a series' instances",
)
async def search_series_instances(
    request: Request, study: Study, series: Series, store: StoreDep
) -> Response:
    return await _qido(request, store, "instance", study=study, series=series)


# ============================================================================================
# WADO-RS (PS3.18 10.4)


def _records(store: Any, study: str, series: str | None = None, sop: str | None = None) -> list:
    if sop is not None:
        record = store.get(sop)
        if (
            record is None
            or record.study_instance_uid != study
            or (series is not None and record.series_instance_uid != series)
        ):
            raise HTTPException(404, "no such instance")
        return [record]
    records = store.instances(study=study, series=series)
    if not records:
        raise HTTPException(404, "no such series" if series else "no such study")
    return records


class _Body:
    """A response body as segments (bytes, or a file's [start, end)), so its length is known
    and a byte range of it can be served without building it."""

    def __init__(self) -> None:
        self.segments: list[bytes | tuple[Path, int, int]] = []

    def add(self, item: bytes | tuple[Path, int, int]) -> None:
        self.segments.append(item)

    def __len__(self) -> int:
        return sum(len(s) if isinstance(s, bytes) else s[2] - s[1] for s in self.segments)

    def iter(self, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        end = len(self) if end is None else end
        pos = 0
        for seg in self.segments:
            size = len(seg) if isinstance(seg, bytes) else seg[2] - seg[1]
            lo, hi = max(start - pos, 0), min(end - pos, size)
            pos += size
            if lo >= hi:
                continue
            if isinstance(seg, bytes):
                yield seg[lo:hi]
            else:
                from dicom_tools.dicomweb.retrieve import read_file_range

                yield from read_file_range(seg[0], seg[1] + lo, seg[1] + hi)


def _ranged(request: Request, body: _Body, media_type: str, etag: str | None) -> Response:
    """``body`` whole (200) or the byte range asked for (206; 416 past the end)."""
    from dicom_tools.dicomweb.retrieve import RangeNotSatisfiable, parse_range

    size = len(body)
    headers = {"Accept-Ranges": "bytes"}
    if etag:
        headers["ETag"] = f'"{etag}"'
    if_range = request.headers.get("if-range")
    ranged = request.headers.get("range")
    if if_range is not None and etag and if_range.strip() != f'"{etag}"':
        ranged = None  # the representation changed: the whole of it (RFC 9110 13.1.5)
    try:
        span = parse_range(ranged, size)
    except RangeNotSatisfiable as exc:
        return Response(status_code=416, headers={"Content-Range": str(exc), **headers})
    if span is None:
        headers["Content-Length"] = str(size)
        return StreamingResponse(body.iter(), media_type=media_type, headers=headers)
    start, end = span
    headers["Content-Range"] = f"bytes {start}-{end - 1}/{size}"
    headers["Content-Length"] = str(end - start)
    return StreamingResponse(
        body.iter(start, end), status_code=206, media_type=media_type, headers=headers
    )


def _multipart_type(part_type: str, boundary: str, syntax: str | None = None) -> str:
    params = {"type": part_type}
    if syntax:
        params["transfer-syntax"] = syntax
    params["boundary"] = boundary
    return format_media_type(N.MULTIPART, params)


def _instance_bytes(store: Any, record: Any, uid: str) -> Iterator[bytes]:
    """The instance's Part 10 bytes in ``uid``: the blob, or its transcoding (registry)."""
    from dicom_tools.dicomweb.retrieve import read_file_range, transcoded

    if uid == record.transfer_syntax:
        path = store.path(record)
        yield from read_file_range(path, 0, path.stat().st_size)
        return
    with tempfile.TemporaryDirectory(prefix="dicom-tools-wado-") as tmp:
        out = transcoded(store.source(record), uid, Path(tmp))
        yield from read_file_range(out, 0, out.stat().st_size)


def _instance_stream(store: Any, records: list, uids: list[str], boundary: str) -> Iterator[bytes]:
    """Each instance as a part of a multipart/related body."""
    for n, (record, uid) in enumerate(zip(records, uids, strict=True)):
        headers = {"Content-Type": format_media_type(N.DICOM, {"transfer-syntax": uid})}
        yield part_head(boundary, headers, n == 0)
        yield from _instance_bytes(store, record, uid)
    yield close_delimiter(boundary)


def _safe_name(uid: str, fallback: str) -> str:
    return uid if uid and all(c in "0123456789." for c in uid) and uid.strip(".") else fallback


async def _retrieve(
    request: Request, store: Any, study: str, series: str | None = None, sop: str | None = None
) -> Response:
    records = await run_in_threadpool(_records, store, study, series, sop)
    accept = request.headers.get("accept")
    single = sop is not None
    choices = [N.choose_instances(accept, r.transfer_syntax, allow_single=single) for r in records]
    if any(c is None for c in choices):
        raise _not_acceptable("instances", accept)
    first = choices[0]
    if first.media_type == N.ZIP:  # type: ignore[union-attr]
        from dicom_tools.dicomweb.retrieve import zip_stream

        members = [
            (
                f"{_safe_name(r.study_instance_uid, 'study')}/"
                f"{_safe_name(r.series_instance_uid, 'series')}/"
                f"{_safe_name(r.sop_instance_uid, r.id)}.dcm",
                store.path(r),
            )
            for r in records
        ]
        name = _safe_name(series or study, "study")
        return StreamingResponse(
            zip_stream(members),
            media_type=N.ZIP,
            headers={"Content-Disposition": f'attachment; filename="{name}.zip"'},
        )
    uids = [c.transfer_syntax for c in choices]  # type: ignore[union-attr]
    if single and all(u == r.transfer_syntax for u, r in zip(uids, records, strict=True)):
        # One instance as stored: a body of known length, so Range works (resumable download)
        record = records[0]
        path = store.path(record)
        body = _Body()
        if first.multipart:  # type: ignore[union-attr]
            boundary = f"dicomtools{record.sha256[:32]}"  # the same on every request: resumable
            headers = {"Content-Type": format_media_type(N.DICOM, {"transfer-syntax": uids[0]})}
            body.add(part_head(boundary, headers, True))
            body.add((path, 0, record.size))
            body.add(close_delimiter(boundary))
            mtype = _multipart_type(N.DICOM, boundary, uids[0])
        else:
            body.add((path, 0, record.size))
            mtype = format_media_type(N.DICOM, {"transfer-syntax": uids[0]})
        return _ranged(request, body, mtype, record.sha256)
    from dicom_tools.dicomweb.multipart import new_boundary

    boundary = new_boundary()
    syntax = uids[0] if len(set(uids)) == 1 else None
    if not first.multipart:  # type: ignore[union-attr]  # one instance, transcoded, one part
        return StreamingResponse(
            _instance_bytes(store, records[0], uids[0]),
            media_type=format_media_type(N.DICOM, {"transfer-syntax": uids[0]}),
        )
    return StreamingResponse(
        _instance_stream(store, records, uids, boundary),
        media_type=_multipart_type(N.DICOM, boundary, syntax),
    )


@router.get("/studies/{study}", summary="WADO-RS: retrieve a study")
async def retrieve_study(request: Request, study: Study, store: StoreDep) -> Response:
    return await _retrieve(request, store, study)


@router.get("/studies/{study}/series/{series}", summary="WADO-RS: retrieve a series")
async def retrieve_series(
    request: Request, study: Study, series: Series, store: StoreDep
) -> Response:
    return await _retrieve(request, store, study, series)


@router.get(
    "/studies/{study}/series/{series}/instances/{sop}", summary="WADO-RS: retrieve an instance"
)
async def retrieve_instance(
    request: Request, study: Study, series: Series, sop: Instance, store: StoreDep
) -> Response:
    return await _retrieve(request, store, study, series, sop)


# --- metadata -------------------------------------------------------------------------------


def _metadata_stream(store: Any, records: list, base: str) -> Iterator[bytes]:
    from dicom_tools.dicomweb.metadata import instance_metadata

    yield b"["
    for n, r in enumerate(records):
        prefix = (
            f"{base}/studies/{r.study_instance_uid}/series/{r.series_instance_uid}"
            f"/instances/{r.sop_instance_uid}/bulkdata"
        )
        text = instance_metadata(store.source(r), prefix)
        yield (("," if n else "") + text).encode("utf-8")
    yield b"]"


async def _metadata(
    request: Request, store: Any, study: str, series: str | None = None, sop: str | None = None
) -> Response:
    if N.choose_json(request.headers.get("accept")) is None:
        raise _not_acceptable("metadata", request.headers.get("accept"))
    records = await run_in_threadpool(_records, store, study, series, sop)
    return StreamingResponse(
        _metadata_stream(store, records, _base(request)), media_type=N.DICOM_JSON
    )


@router.get("/studies/{study}/metadata", summary="WADO-RS: a study's metadata")
async def study_metadata(request: Request, study: Study, store: StoreDep) -> Response:
    return await _metadata(request, store, study)


@router.get("/studies/{study}/series/{series}/metadata", summary="WADO-RS: a series' metadata")
async def series_metadata(
    request: Request, study: Study, series: Series, store: StoreDep
) -> Response:
    return await _metadata(request, store, study, series)


@router.get(
    "/studies/{study}/series/{series}/instances/{sop}/metadata",
    summary="WADO-RS: an instance's metadata",
)
async def instance_metadata(
    request: Request, study: Study, series: Series, sop: Instance, store: StoreDep
) -> Response:
    return await _metadata(request, store, study, series, sop)


# --- frames and bulk data -------------------------------------------------------------------


def _frames_body(store: Any, record: Any, frame_list: str, accept: str | None) -> tuple:
    from dicom_tools.dicomweb.frames import frame_parts, open_frames, parse_frame_list

    numbers = parse_frame_list(frame_list)
    choice = N.choose_frames(accept, record.transfer_syntax)
    if choice is None:
        raise _not_acceptable("frames", accept)
    try:
        src = open_frames(store.source(record), numbers)
    except UsageError as exc:
        raise HTTPException(404, exc.render("api")) from None
    parts = list(frame_parts(src, numbers, choice))
    return choice, parts


@router.get(
    "/studies/{study}/series/{series}/instances/{sop}/frames/{frames}",
    summary="WADO-RS: frames (numbered from 1)",
)
async def retrieve_frames(
    request: Request,
    study: Study,
    series: Series,
    sop: Instance,
    frames: Annotated[str, PathParam(pattern=r"^[0-9, ]{1,10000}$")],
    store: StoreDep,
) -> Response:
    [record] = await run_in_threadpool(_records, store, study, series, sop)
    accept = request.headers.get("accept")
    choice, parts = await run_in_threadpool(_frames_body, store, record, frames, accept)
    from dicom_tools.dicomweb.multipart import new_boundary

    boundary = new_boundary()
    body = b"".join(write_parts(parts, boundary))
    mtype = _multipart_type(choice.media_type, boundary, choice.transfer_syntax)
    return Response(body, media_type=mtype)


@router.get(
    "/studies/{study}/series/{series}/instances/{sop}/bulkdata/{path}",
    summary="WADO-RS: bulk data (a BulkDataURI from the metadata)",
)
async def retrieve_bulkdata(
    request: Request,
    study: Study,
    series: Series,
    sop: Instance,
    path: Annotated[str, PathParam(pattern=r"^[0-9A-Fa-f]{8}(\.[0-9]{1,6}\.[0-9A-Fa-f]{8}){0,8}$")],
    store: StoreDep,
) -> Response:
    from dicom_tools.dicomweb.metadata import bulk_value

    accept = request.headers.get("accept")
    choice = N.choose_bulkdata(accept)
    if choice is None:
        raise _not_acceptable("bulk data", accept)
    [record] = await run_in_threadpool(_records, store, study, series, sop)
    value = await run_in_threadpool(bulk_value, store.source(record), path.upper())
    if value is None:
        raise HTTPException(404, f"no bulk data at {path}")
    body = _Body()
    etag = f"{record.sha256[:40]}-{path.upper()}"
    if choice.multipart:
        boundary = f"dicomtools{record.sha256[:32]}"
        body.add(part_head(boundary, {"Content-Type": N.OCTET}, True))
        body.add(value)
        body.add(close_delimiter(boundary))
        return _ranged(request, body, _multipart_type(N.OCTET, boundary), etag)
    body.add(value)
    return _ranged(request, body, N.OCTET, etag)


# --- rendered and thumbnail (PS3.18 10.4.1.1.3, 10.4.1.1.4) --------------------------------


def _render(store: Any, record: Any, media: str, params: Any, frame: int) -> bytes:
    from dicom_tools.dicomweb.retrieve import render

    with tempfile.TemporaryDirectory(prefix="dicom-tools-render-") as tmp:
        return render(store.source(record), media, params, Path(tmp), frame)


async def _rendered(
    request: Request,
    store: Any,
    records: list,
    frame: int = 0,
    thumbnail: bool = False,
) -> Response:
    from dicom_tools.dicomweb.retrieve import RenderParams, parse_render_params

    accept = request.headers.get("accept")
    choice = N.choose_rendered(accept)
    if choice is None:
        raise _not_acceptable("a rendered image", accept)
    q = request.query_params
    params = parse_render_params(q.get("window"), q.get("viewport"), q.get("quality"))
    if thumbnail and params.viewport is None:
        params = RenderParams(params.window, (128, 128), params.quality)
    # a study's or series' thumbnail: its middle instance (with pixel data, as the index says)
    imaged = [r for r in records if r.rows] or records
    record = imaged[len(imaged) // 2]
    if frame and (record.number_of_frames or 1) < frame:
        raise HTTPException(404, f"no frame {frame}")
    data = await run_in_threadpool(
        _render, store, record, choice.media_type, params, max(frame - 1, 0)
    )
    return Response(data, media_type=choice.media_type)


@router.get(
    "/studies/{study}/series/{series}/instances/{sop}/rendered",
    summary="WADO-RS: an instance rendered (first frame)",
)
async def rendered_instance(
    request: Request, study: Study, series: Series, sop: Instance, store: StoreDep
) -> Response:
    records = await run_in_threadpool(_records, store, study, series, sop)
    return await _rendered(request, store, records)


@router.get(
    "/studies/{study}/series/{series}/instances/{sop}/frames/{frame}/rendered",
    summary="WADO-RS: one frame rendered",
)
async def rendered_frame(
    request: Request,
    study: Study,
    series: Series,
    sop: Instance,
    frame: Annotated[int, PathParam(ge=1)],
    store: StoreDep,
) -> Response:
    records = await run_in_threadpool(_records, store, study, series, sop)
    return await _rendered(request, store, records, frame)


@router.get("/studies/{study}/thumbnail", summary="WADO-RS: a study's thumbnail")
async def study_thumbnail(request: Request, study: Study, store: StoreDep) -> Response:
    records = await run_in_threadpool(_records, store, study)
    return await _rendered(request, store, records, thumbnail=True)


@router.get("/studies/{study}/series/{series}/thumbnail", summary="WADO-RS: a series' thumbnail")
async def series_thumbnail(
    request: Request, study: Study, series: Series, store: StoreDep
) -> Response:
    records = await run_in_threadpool(_records, store, study, series)
    return await _rendered(request, store, records, thumbnail=True)


@router.get(
    "/studies/{study}/series/{series}/instances/{sop}/thumbnail",
    summary="WADO-RS: an instance's thumbnail",
)
async def instance_thumbnail(
    request: Request, study: Study, series: Series, sop: Instance, store: StoreDep
) -> Response:
    records = await run_in_threadpool(_records, store, study, series, sop)
    return await _rendered(request, store, records, thumbnail=True)


@router.get(
    "/studies/{study}/series/{series}/instances/{sop}/frames/{frame}/thumbnail",
    summary="WADO-RS: a frame's thumbnail",
)
async def frame_thumbnail(
    request: Request,
    study: Study,
    series: Series,
    sop: Instance,
    frame: Annotated[int, PathParam(ge=1)],
    store: StoreDep,
) -> Response:
    records = await run_in_threadpool(_records, store, study, series, sop)
    return await _rendered(request, store, records, frame, thumbnail=True)
