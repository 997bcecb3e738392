"""anonymize: de-identify one file per PS3.15 Annex E (the work is in dicom_tools.anonymize)."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from dicom_tools.anonymize import AnonymizeOptions, Anonymizer, load_key
from dicom_tools.anonymize.files import map_csv, read_for_anonymization, write_dataset
from dicom_tools.anonymize.pixels import blank_regions, parse_rects
from dicom_tools.context import DEFAULT, Context
from dicom_tools.dicom.source import Source, as_source
from dicom_tools.errors import DicomToolsError, InputError
from dicom_tools.io import atomic_output, describe_exception
from dicom_tools.result import Result


def anonymize(
    input: Source | Path,
    output: Path,
    *,
    profile: str = "basic",
    retain_uids: bool = False,
    retain_device_id: bool = False,
    retain_institution_id: bool = False,
    retain_patient_characteristics: bool = False,
    retain_long_full_dates: bool = False,
    retain_long_modified_dates: bool = False,
    clean_descriptors: bool = False,
    retain_safe_private: bool = False,
    key: str | None = None,
    key_file: str | Path | None = None,
    patient_id: str | None = None,
    patient_name: str | None = None,
    map: str | Path | None = None,
    keep: list[str] | None = None,
    remove: list[str] | None = None,
    blank_rect: list[str] | None = None,
    uid_root: str | None = None,
    context: Context = DEFAULT,
) -> Result:
    """De-identify ``input`` into ``output``; the key is ``key`` or ``key_file``, else the
    context's (a server's project key), else a random one (with a warning)."""
    # Options first: a usage error must not depend on the input being readable.
    rects = parse_rects(blank_rect)
    secret = load_key(key, key_file)
    if secret is None and context.key:
        secret = context.key.encode("utf-8")
    options = AnonymizeOptions(
        profile=profile or "basic",
        retain_uids=bool(retain_uids),
        retain_device_id=bool(retain_device_id),
        retain_institution_id=bool(retain_institution_id),
        retain_patient_characteristics=bool(retain_patient_characteristics),
        retain_long_full_dates=bool(retain_long_full_dates),
        retain_long_modified_dates=bool(retain_long_modified_dates),
        clean_descriptors=bool(clean_descriptors),
        retain_safe_private=bool(retain_safe_private),
        patient_id=patient_id,
        patient_name=patient_name,
        keep=tuple(keep or ()),
        remove=tuple(remove or ()),
        uid_root=uid_root or None,
        clean_pixel_data=bool(rects),
    )
    anonymizer = Anonymizer(options, secret)

    input = as_source(input)  # a file or an instance in memory; str() names it in messages
    ds = read_for_anonymization(input)
    try:
        report = anonymizer.anonymize_dataset(ds)
        blanked = blank_regions(ds, rects) if rects else None
    except InputError as exc:
        if str(input) in exc.message:
            raise
        raise InputError(f"{input}: {exc.message}") from exc
    except DicomToolsError:
        raise
    except Exception as exc:  # a value pydicom cannot parse, met while de-identifying
        raise InputError(f"{input}: cannot read DICOM data: {describe_exception(exc)}") from exc
    for warning in report.warnings:
        context.on_warning(warning)

    with contextlib.ExitStack() as stack:
        tmp = stack.enter_context(atomic_output(output))
        try:
            write_dataset(ds, tmp)
        except InputError as exc:
            raise InputError(f"{input}: {exc.message}") from exc
        if map is not None:  # both files appear together, or neither
            map_tmp = stack.enter_context(atomic_output(map))
            map_tmp.write_text(map_csv(anonymizer.mapping), encoding="utf-8")

    data: dict[str, Any] = {
        "input": input.name,
        "output": str(output),
        "profile": options.profile,
        "options": options.chosen,
        "key": "given" if secret is not None else "random",
        "method_codes": [code for code, _meaning in options.method_codes()],
        **report.to_dict(),
        "blanked": None if blanked is None else {"rects": len(rects), **blanked},
        "map": str(map) if map is not None else None,
        "map_rows": len(anonymizer.mapping) if map is not None else 0,
    }
    outputs = [str(output)] + ([str(map)] if map is not None else [])
    return Result(data=data, text=_text(data), output_files=outputs)


def _text(data: dict[str, Any]) -> str:
    counts = data["counts"]
    lines = [
        f"Anonymized {data['input']} -> {data['output']}",
        "Profile: basic" + "".join(f" + {o}" for o in data["options"]),
        "Attributes: " + ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in counts.items() if n),
    ]
    if data["blanked"]:
        b = data["blanked"]
        lines.append(f"Blanked {b['rects']} region(s) in {b['frames']} frame(s)")
    if data["map"]:
        lines.append(f"Map: {data['map']} ({data['map_rows']} rows)")
    lines.extend(f"Warning: {w}" for w in data["warnings"])
    return "\n".join(lines)
