"""to-json and from-json: DICOM files to the DICOM JSON Model (PS3.18 Annex F) and back.

The conversion itself, and every decision it makes, is documented in ``dicom_tools.dicomjson``.
Ordinary files are converted from their bytes (no pydicom); the others are read with pydicom,
which also words the error for a broken file. The file meta information (group 0002) is
carried as ordinary group-0002 attributes in the same JSON object, so that from-json restores
the transfer syntax. Bulk data files are written into
``--bulk-data-dir`` (default ``<output stem>_bulk`` beside the output), which must lie inside the
JSON file's folder; their ``BulkDataURI`` is a relative URI reference from that folder.
"""

from __future__ import annotations

import os

from dicom_tools.dicom.dictionary import uid_name
from dicom_tools.dicom.source import Source, as_source
from dicom_tools.dicomjson.bulk import BulkSink
from dicom_tools.dicomjson.encoder import encode_file
from dicom_tools.errors import InputError, UsageError, option
from dicom_tools.io import check_input, describe_exception, write_bytes_atomic
from dicom_tools.result import Result

TYPE_CHECKING = False  # typing costs start-up time
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any


def _uid_name(uid: str | None) -> str | None:
    return uid_name(uid) if uid else None


def _bulk_sink(output: Path | None, threshold: int | None, folder: str | None) -> BulkSink | None:
    if threshold is None:
        if folder is not None:
            raise UsageError(
                f"{option('bulk_data_dir')} is only used with {option('bulk_data_threshold')}"
            )
        return None
    if threshold < 0:
        raise UsageError(f"{option('bulk_data_threshold')} must be 0 or more, got {threshold}")
    from pathlib import Path  # only with bulk data: not on the header path

    if output is None:
        if folder is None:
            raise UsageError(
                f"with '{option('output', '-', flag='-o')}', {option('bulk_data_threshold')} "
                f"needs {option('bulk_data_dir')}"
            )
        base = Path.cwd()  # the URIs are then relative to the current folder
        bulk_dir = Path(folder)
    else:
        base = output.parent
        bulk_dir = Path(folder) if folder is not None else base / f"{output.stem}_bulk"
    if not bulk_dir.resolve().is_relative_to(base.resolve()):
        raise UsageError(
            f"{option('bulk_data_dir', str(bulk_dir))} must be inside {base.resolve()}, the "
            "folder its BulkDataURIs are relative to (from-json reads nothing outside it)"
        )
    return BulkSink(threshold, bulk_dir, base)


def to_json(
    input: Source | Path,
    output: Path | None,
    *,
    bulk_data_threshold: int | None = None,
    bulk_data_dir: str | None = None,
) -> Result:
    """Convert ``input`` to DICOM JSON; ``output`` None returns the text as the payload."""
    bulk = _bulk_sink(output, bulk_data_threshold, bulk_data_dir)
    if output is not None and not output.parent.is_dir():
        raise UsageError(f"{output}: output folder {output.parent} does not exist")
    input = as_source(input)
    converted = encode_file(input, bulk)
    ts = converted.transfer_syntax
    data: dict[str, Any] = {
        "input": input.name,
        "output": str(output) if output is not None else None,
        "elements": converted.elements,
        "transfer_syntax": ts or None,
        "transfer_syntax_name": _uid_name(ts),
        "bulk_data_files": len(bulk.files) if bulk else 0,
        "warnings": converted.warnings,
    }
    note = f"; {len(converted.warnings)} warning(s)" if converted.warnings else ""
    if output is None:
        if bulk is not None:
            _write_bulk(bulk)
        text = f"{input}: {converted.elements} elements as DICOM JSON{note}"
        return Result(data=data, text=text, payload=converted.text)
    written = _write_bulk(bulk) if bulk is not None else []
    try:
        write_bytes_atomic(output, converted.text.encode("utf-8"))
    except BaseException:
        import contextlib  # failures only: not on the header path

        for p in written:
            with contextlib.suppress(OSError):
                p.unlink()
        raise
    extra = f", {len(written)} bulk data file(s) in {bulk.folder}" if bulk and written else ""
    text = f"{input} -> {output}: {converted.elements} elements{extra}{note}"
    files = [str(output), *(str(p) for p in written)]
    return Result(data=data, text=text, output_files=files)


def _write_bulk(bulk: BulkSink) -> list[Path]:
    """Write the bulk data files; on failure remove those already written."""
    written: list[Path] = []
    created = not bulk.folder.exists()
    try:
        if bulk.files:
            bulk.folder.mkdir(parents=True, exist_ok=True)
        for target, blob in bulk.files.items():
            write_bytes_atomic(target, blob)
            written.append(target)
    except BaseException:
        import contextlib  # failures only: not on the header path

        for p in written:
            with contextlib.suppress(OSError):
                p.unlink()
        if created:
            with contextlib.suppress(OSError):
                os.rmdir(bulk.folder)
        raise
    return written


def from_json(input: Source | Path, output: Path) -> Result:
    """Build the DICOM file ``output`` from the DICOM JSON ``input`` (a file, or its bytes in
    memory; BulkDataURIs are resolved only inside a file's folder)."""
    # Imported here: to-json, the header path, needs none of the decoding side.
    from dicom_tools.dicomjson.decoder import model_from_json
    from dicom_tools.dicomjson.model import ModelError, parse_json
    from dicom_tools.dicomjson.part10 import build_file

    src = p = check_input(as_source(input))  # p: the name in messages
    raw = src.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{p}: not a JSON file (not UTF-8 text at byte {exc.start})") from None
    try:
        obj = parse_json(text)
    except ModelError as exc:
        raise InputError(f"{p}: not DICOM JSON: {exc}") from None
    except ValueError as exc:  # json.JSONDecodeError, RecursionError-free
        raise InputError(f"{p}: not valid JSON: {describe_exception(exc)}") from None
    except RecursionError:
        raise InputError(f"{p}: not usable JSON: nested too deeply") from None
    try:
        model, count, note = model_from_json(obj, src.path.parent if src.path else None)
        built = build_file(model)
    except ModelError as exc:
        raise InputError(f"{p}: not DICOM JSON: {exc}") from None
    except RecursionError:
        raise InputError(f"{p}: not usable DICOM JSON: sequences nested too deeply") from None
    write_bytes_atomic(output, built.data)
    name = _uid_name(built.transfer_syntax)
    data: dict[str, Any] = {
        "input": src.name,
        "output": str(output),
        "elements": count,
        "transfer_syntax": built.transfer_syntax,
        "transfer_syntax_name": name,
        "generated_meta": built.generated_meta,
    }
    if note:
        data["note"] = note
    text = f"{src.name} -> {output}: {count} elements, {name or built.transfer_syntax}"
    if built.generated_meta:
        text += f" (generated {', '.join(built.generated_meta)})"
    return Result(data=data, text=text, output_files=[str(output)])
