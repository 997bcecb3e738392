"""The CLI's own parser of plain verb invocations against argparse, invocation by invocation.

``cli.fast_parse`` answers the common invocations without argparse (start-up time) and hands
every other one to argparse. For each invocation below, good or bad, it must give argparse's
Namespace or nothing; and what the command prints and exits with must be argparse's.
"""

from __future__ import annotations

import contextlib
import io

import pytest

from dicom_tools import cli

F = "scan.dcm"

# Invocations the fast parser must answer itself (the common ones: speed depends on them).
ANSWERED = [
    ["info", F],
    ["info", F, "--json"],
    ["info", "--json", F],
    ["info", F, "-v"],
    ["info", F, "--verbose", "--json"],
    ["info", "-"],
    ["info", "my scan.dcm"],
    ["info", F, "--json", "--json"],
    ["dump", F],
    ["dump", F, "--json"],
    ["dump", F, "--max-depth", "1", "--max-value-len", "40"],
    ["dump", F, "--max-depth=0"],
    ["dump", F, "--max-value-len", " 12 "],
    ["dump", F, "--max-depth", "1", "--max-depth", "3"],
    ["to-json", F, "-o", "-"],
    ["to-json", F, "-o", "out.json"],
    ["to-json", F, "--output=out.json"],
    ["to_json", F, "--output", "out.json"],
    ["to-json", F, "--bulk-data-threshold", "1024", "--bulk-data-dir", "bulk"],
    ["from-json", "x.json", "-o", "x.dcm"],
    ["to-image", F, "--format", "jpeg", "--frame", "2", "--window-center", "40.5"],
    ["to-image", F, "--window-width=400", "--normalize", "--device", "cpu"],
    ["stats", F, "--frame", "0", "--stored", "--json"],
    ["histogram", F, "--bins", "16"],
    ["transcode", "--list"],
    ["transcode", F, "--syntax", "rle", "-o", "out.dcm"],
    ["transcode", F, "--transfer-syntax", "jpeg-ls", "--near-lossless", "2", "-o", "o.dcm"],
    ["validate", F, "--level", "error", "--json"],
    ["anonymize", F, "--retain-uids", "--key", "secret", "-o", "a.dcm"],
    # several inputs, folders, --recursive and repeated options (append form)
    ["info", F, F],
    ["info", F, "b.dcm", "scans", "--recursive", "--json"],
    ["dump", "-r", "scans"],
    ["anonymize", "--keep", "PatientAge", F, "-o", "a.dcm"],
    ["anonymize", F, "--keep", "PatientAge", "--keep", "StudyDate,StudyTime", "--remove", "X"],
    ["anonymize", F, "--blank-rect", "0,0,10,10", "--blank-rect", "5,5,1,1"],
]

# Invocations it must hand to argparse: help, errors, and shapes it does not parse.
HANDED_OVER = [
    [],
    ["info"],
    ["info", F, "--no-such-flag"],
    ["info", F, "--js"],  # an abbreviation (argparse accepts it)
    ["info", F, "--json=1"],
    ["info", F, "-h"],
    ["info", "--help"],
    ["info", F, "-vx"],
    ["info", "--", F],
    ["info", ""],
    ["info", "-5"],
    [" info", F],
    ["Info", F],
    ["frobnicate", F],
    ["--debug", "info", F],
    ["--version"],
    ["ops"],
    ["run", "-"],
    ["dump", F, "--max-depth"],
    ["dump", F, "--max-depth", "x"],
    ["dump", F, "--max-depth", "-1"],
    ["dump", F, "--max-depth="],
    ["dump", F, "--max-depth", "1.5"],
    ["to-json", F, "-o"],
    ["to-json", F, "-o=x.json"],
    ["to-json", F, "-ox.json"],
    ["to-json", F, "-o", ""],
    ["to-json", F, "--output", "--json"],
    ["to-image", F, "--format", "gif"],
    ["to-image", F, "--window-center", "-40"],
    ["to-image", F, "--device=tpu"],
    ["histogram", F, "--range", "0", "10"],
    ["transcode", F, "--syntax"],
    ["validate", F, "--level", "fatal"],
]


def _argparse(argv: list[str]) -> tuple[dict | None, int, str, str]:
    """argparse's answer, as ``cli`` builds it: (namespace or None, exit code, out, err)."""
    first = argv[0] if argv else ""
    known = first in ("ops", "run") or (
        bool(first) and not first.startswith("-") and cli.registry.find(first) is not None
    )
    parser = cli.build_parser(first if known else None)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            ns = parser.parse_args(argv)
        except SystemExit as exc:
            return None, int(exc.code or 0), out.getvalue(), err.getvalue()
    return vars(ns), 0, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("argv", ANSWERED, ids=" ".join)
def test_fast_parser_gives_argparses_namespace(argv):
    expected, code, _, err = _argparse(argv)
    assert code == 0 and expected is not None, err
    fast = cli.fast_parse(argv)
    assert fast is not None, "the common invocation fell back to argparse"
    assert vars(fast) == expected


@pytest.mark.parametrize("argv", HANDED_OVER, ids=lambda a: " ".join(a) or "(none)")
def test_what_argparse_rejects_goes_to_argparse(argv):
    expected, _, _, _ = _argparse(argv)
    fast = cli.fast_parse(argv)
    if expected is None:  # an error or help: only argparse may answer
        assert fast is None
    else:  # accepted: either parser, with the same result
        assert fast is None or vars(fast) == expected


@pytest.mark.parametrize(
    "argv",
    [*ANSWERED, *(a for a in HANDED_OVER if a[:1] != ["ops"])],
    ids=lambda a: " ".join(a) or "(none)",
)
def test_the_command_line_parses_as_argparse(argv):
    """What the CLI makes of each invocation (namespace, or output and exit code): argparse's."""
    expected = _argparse(argv)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            ns = cli._parse(argv)
            code = 0
        except SystemExit as exc:
            ns, code = None, int(exc.code or 0)
    got = (None if ns is None else vars(ns), code, out.getvalue(), err.getvalue())
    assert got == expected
