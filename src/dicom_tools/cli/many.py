"""Many inputs in one process: ``dicom-tools info a.dcm b.dcm``, a folder, a pattern."""

from __future__ import annotations

import sys

from dicom_tools import registry
from dicom_tools.cli.report import _error
from dicom_tools.cli.words import PROG
from dicom_tools.errors import DicomToolsError

# typing costs start-up time; annotations are strings here (PEP 563)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def _output_folder(spec: registry.OpSpec, output: str | None) -> Any:
    """The folder that receives one output per input (created), or None: beside each input."""
    if spec.output == "display" or output is None:
        return None
    from pathlib import Path

    from dicom_tools.errors import UsageError, option

    if output == "-":
        raise UsageError(
            f"{option('output', '-', flag='-o')} takes one input; "
            f"for several give {option('output', 'FOLDER', flag='-o')}"
        )
    folder = Path(output)
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{output}: several inputs need an output folder, not a file")
    return folder


def run_many(
    spec: registry.OpSpec, args: Any, options: dict[str, Any], context: Any, debug: bool
) -> int:
    """Run ``spec`` on every input in turn: text under a header line per file (as ``dcmdump
    +F``), or with ``--json`` one JSON object per line; a file that fails is reported on stderr
    and skipped. Exit 0 when all succeed, 1 when some fail, 2 when none could be read."""
    from dicom_tools import files
    from dicom_tools.errors import UsageError, option

    as_json = getattr(args, "json", False)
    try:
        run = registry.Runner(spec, options, context)  # options checked once, for every file
        options = run.options
        for opt in spec.options:
            if opt.one_output and options.get(opt.name) is not None:
                raise UsageError(
                    f"{option(opt.name)} names one output and takes one input (several were given)"
                )
        folder = _output_folder(spec, getattr(args, "output", None))
    except DicomToolsError as exc:
        return _error(spec, exc, None, debug)
    found = files.find_inputs(args.input, recursive=getattr(args, "recursive", False))
    names = files.OutputNames()
    names.protect(f.path for f in found if f.problem is None)
    done = failed = 0
    reported = False
    made = None
    out = sys.stdout
    for n, item in enumerate(found, 1):
        if item.problem is not None:
            out.flush()  # what came before, then the error: in order on a terminal
            print(f"{PROG} {spec.verb}: error: {item.problem}", file=sys.stderr)
            failed += 1
            continue
        try:
            target = None
            if folder is not None and not folder.is_dir():
                folder.mkdir(parents=True)  # made for the first file, removed if none succeeds
                made = folder
            if spec.output != "display":
                target = names.reserve(spec.infer_output(item.path, folder, options))
            result = run(item.path, target)
        except Exception as exc:
            out.flush()
            _error(spec, exc, str(item.path), debug)
            failed += 1
            continue
        done += 1
        reported = reported or result.failed
        if as_json:
            import json

            record = {"file": str(item.path), "ok": not result.failed}
            record["data"] = result.data  # dump's: the DICOM JSON model
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        else:
            text = result.render(False)
            if spec.output == "display":
                out.write(f"{'' if n == 1 else chr(10)}# {PROG} {spec.verb} ({n}/{len(found)}): ")
                out.write(f"{item.path}\n")
            if text:
                out.write(text if text.endswith("\n") else text + "\n")
    out.flush()
    if done == 0:
        if made is not None:
            import contextlib

            with contextlib.suppress(OSError):
                made.rmdir()  # only if empty: nothing half-written is left behind
        return 2
    return 1 if failed or reported else 0
