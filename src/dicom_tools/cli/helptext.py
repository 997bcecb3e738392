"""``dicom-tools --help`` and ``dicom-tools ops`` printed from the catalog, without argparse
(the top-level help formatted exactly as argparse would: a test checks it at many widths)."""

from __future__ import annotations

import sys

from dicom_tools import registry
from dicom_tools.cli.words import DESCRIPTION, EPILOG, OPS_HELP, PROG, RUN_HELP, WEB_HELP

# typing costs start-up time; annotations are strings here (PEP 563)
TYPE_CHECKING = False
if TYPE_CHECKING:
    pass


def _default_output(spec: registry.OpSpec) -> str:
    """The inferred output name in words: transcode's depends on its target."""
    if spec.suffix_from:
        return f"<input stem>_<target>.dcm, {spec.output_suffix} for the default target"
    return f"<input stem>{spec.output_suffix}"


_GLOBAL_OPTIONS = (
    ("-h, --help", "show this help message and exit"),
    ("--version", "show program's version number and exit"),
    ("--debug", "show tracebacks on errors"),
)


def _columns() -> int:
    """The terminal width as ``shutil.get_terminal_size`` (and so argparse) finds it."""
    import os

    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns or 80
        except (AttributeError, ValueError, OSError):
            columns = 80
    return columns


def _letter(c: str) -> bool:
    return c.isalpha() or c == "_"


def _chunks(word: str) -> list[str]:
    """``word`` split where textwrap breaks hyphenated words ("De-identify" -> "De-", ...)."""
    out, start = [], 0
    for i in range(2, len(word) - 2):
        if word[i] != "-":
            continue
        before = (_letter(word[i - 2]) and _letter(word[i - 1])) or (
            i >= 3 and _letter(word[i - 3]) and word[i - 2] == "-" and _letter(word[i - 1])
        )
        after = _letter(word[i + 1]) and (
            _letter(word[i + 2])
            or (word[i + 2] == "-" and i + 3 < len(word) and _letter(word[i + 3]))
        )
        if before and after and i + 1 > start:
            out.append(word[start : i + 1])
            start = i + 1
    out.append(word[start:])
    return out


def _wrap(text: str, width: int) -> list[str] | None:
    """``textwrap.wrap(text, width)`` for plain prose; None where a word would not fit."""
    chunks: list[str] = []
    for n, word in enumerate(text.split()):
        if n:
            chunks.append(" ")
        chunks.extend(_chunks(word))
    chunks.reverse()
    lines: list[str] = []
    while chunks:
        if chunks[-1] == " " and lines:
            chunks.pop()
        line: list[str] = []
        size = 0
        while chunks and size + len(chunks[-1]) <= width:
            size += len(chunks[-1])
            line.append(chunks.pop())
        if chunks and len(chunks[-1]) > width:
            return None  # textwrap would break the word itself: leave it to argparse
        if line and line[-1] == " ":
            line.pop()
        if line:
            lines.append("".join(line))
    return lines


def top_help(columns: int | None = None) -> str | None:
    """The top-level help as argparse formats it, or None for a terminal too narrow to be sure."""
    width = (columns if columns is not None else _columns()) - 2
    usage = f"usage: {PROG} [-h] [--version] [--debug] COMMAND ..."
    if width < 70:  # argparse would wrap the usage line or move the help column
        return None
    entries: list[tuple[int, str, str]] = [(2, "COMMAND", "")]
    for spec in registry.all_ops():
        label = spec.verb if spec.name == spec.verb else f"{spec.verb} ({spec.name})"
        entries.append((4, label, spec.summary))
    entries += [(4, "ops", OPS_HELP), (4, "run", RUN_HELP), (4, "web", WEB_HELP)]
    position = min(max(len(label) + indent for indent, label, _ in entries) + 2, 24)
    out = [usage, "", DESCRIPTION, "", "positional arguments:"]
    sections = [entries, [(2, label, text) for label, text in _GLOBAL_OPTIONS]]
    for n, section in enumerate(sections):
        if n:
            out += ["", "options:"]
        for indent, label, text in section:
            if not text:
                out.append(" " * indent + label)
                continue
            lines = _wrap(text, max(width - position, 11))
            if lines is None:
                return None
            head = " " * indent + label
            if len(label) <= position - indent - 2:
                out.append(head.ljust(position) + lines[0])
            else:
                out += [head, " " * position + lines[0]]
            out += [" " * position + line for line in lines[1:]]
    return "\n".join([*out, "", EPILOG]) + "\n"


def _print_catalog(as_json: bool) -> None:
    specs = registry.all_ops()
    if as_json:
        import json

        print(json.dumps([s.to_dict() for s in specs], indent=2))
        return
    lines = []
    for s in specs:
        lines.append(f"{s.name:<12} {s.summary}")
        tail = f", default output {_default_output(s)}" if s.output_suffix else ""
        tail += ", --json" if s.json_flag else ""
        lines.append(f"{'':<12} input: {s.input}, output: {s.output}{tail}")
        for o in s.options:
            default = "" if o.default in (None, False) else f" [default {o.default}]"
            limits = o.range_text()
            default += f" [{limits}]" if limits else ""
            lines.append(f"{'':<14}{o.flag} ({o.type}){default}: {o.help}")
    print("\n".join(lines))
