"""The verbs' argparse parsers, generated from the registry, and the fast parse of the common
invocations (a verb, its inputs and flags) that answers them without argparse."""

from __future__ import annotations

import sys

from dicom_tools import __version__, registry
from dicom_tools.cli.helptext import _default_output, _print_catalog, top_help
from dicom_tools.cli.words import (
    DESCRIPTION,
    EPILOG,
    OPS_HELP,
    OWN_VERBS,
    PROG,
    RECURSIVE_FLAGS,
    RECURSIVE_HELP,
    RUN_HELP,
    WEB_HELP,
    WEB_TOKEN_ENV,
)

# typing costs start-up time; annotations are strings here (PEP 563)
TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from typing import Any


def _inputs_help(spec: registry.OpSpec) -> str:
    return spec.input_help + "; several files, folders and quoted patterns ('*.dcm') are allowed"


def _parser_class() -> type[argparse.ArgumentParser]:
    import argparse

    class _Parser(argparse.ArgumentParser):
        def error(self, message: str) -> None:  # type: ignore[override]
            # One line, exit 2, as for every usage error.
            self.exit(2, f"{self.prog}: error: {message}\n(try '{self.prog} --help')\n")

    return _Parser


def _add_option(p: argparse.ArgumentParser, opt: registry.Option) -> None:
    if opt.positional:
        p.add_argument(opt.name, metavar=opt.metavar or opt.name.upper(), help=opt.help)
        return
    flags = [f for f in (opt.short, opt.flag, *opt.aliases) if f]
    kw: dict[str, Any] = {"dest": opt.name, "help": opt.help}
    if opt.type == "bool":
        p.add_argument(*flags, action="store_true", default=bool(opt.default), **kw)
        return
    kw["type"] = {"int": int, "float": float}.get(opt.type, str)
    kw["default"] = opt.default
    if opt.choices:
        kw["choices"] = opt.choices
    if opt.nargs:
        kw["nargs"] = opt.nargs
    if opt.repeat:  # --keep A --keep B,C -> [A, B,C] (split by the registry): one value
        kw["action"] = "append"  # per flag, so a repeated option never eats the inputs
    if opt.metavar:
        kw["metavar"] = opt.metavar
    limits = opt.range_text()
    if opt.help and (opt.default is not None or limits):
        notes = [limits] if limits else []
        notes += [f"default: {opt.default}"] if opt.default is not None else []
        kw["help"] = f"{opt.help} ({'; '.join(notes)})"
    p.add_argument(*flags, **kw)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The argparse parser; with ``only`` (a verb), the sub-parser of that verb alone."""
    import argparse

    raw = argparse.RawDescriptionHelpFormatter
    parser = _parser_class()(prog=PROG, description=DESCRIPTION, epilog=EPILOG, formatter_class=raw)
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="verb", metavar="COMMAND")
    sub.required = True

    wanted = None if only is None else only.replace("_", "-")
    for spec in registry.all_ops():
        if wanted is not None and spec.verb != wanted:
            continue
        aliases = [spec.name] if spec.name != spec.verb else []
        p = sub.add_parser(
            spec.verb,
            aliases=aliases,
            help=spec.summary,
            description=spec.summary + (f"\n\n{spec.description}" if spec.description else ""),
            epilog=f"example:\n  {spec.example}" if spec.example else None,
            formatter_class=raw,
        )
        p.set_defaults(spec=spec)
        if spec.input != "none":
            nargs = "*" if spec.input_optional else "+"
            p.add_argument("input", metavar="INPUT", nargs=nargs, help=_inputs_help(spec))
        if spec.output != "display":
            out_help = "output path"
            if spec.output_suffix:
                named = _default_output(spec)
                out_help += f" (default: {named}; a folder is allowed)"
            if spec.stdout_ok:
                out_help += "; '-' writes to stdout"
            p.add_argument("-o", "--output", metavar="OUTPUT", help=out_help)
        for opt in spec.options:
            _add_option(p, opt)
        if spec.json_flag:
            p.add_argument(
                "--json",
                action="store_true",
                help="print the result as JSON (one line per file for several inputs)",
            )
        if spec.input == "file":
            p.add_argument(*RECURSIVE_FLAGS, action="store_true", help=RECURSIVE_HELP)

    if wanted in (None, "ops"):
        p = sub.add_parser(
            "ops",
            help=OPS_HELP,
            description="List the operations of the registry with their specs.",
            epilog="example:\n  dicom-tools ops --json",
            formatter_class=raw,
        )
        p.add_argument("--json", action="store_true", help="print the catalog as JSON")
    if wanted in (None, "run"):
        p = sub.add_parser(
            "run",
            help=RUN_HELP,
            description=(
                'Execute a contract request {"op", "input", "output", "options"} and print the '
                'response {"ok", "returncode", "stdout", "stderr", "output_files", "metadata", '
                '"backend", "operation"}. The exit code is the operation\'s.'
            ),
            epilog=(
                'example:\n  echo \'{"op": "to_json", "input": "scan.dcm"}\' | dicom-tools run -'
            ),
            formatter_class=raw,
        )
        p.add_argument("request", nargs="?", default="-", help="request JSON file, or - for stdin")
    if wanted in (None, "web"):
        _add_web_parser(sub, raw)
    return parser


def _add_web_parser(sub: Any, formatter: Any) -> None:
    import textwrap

    paragraphs = (
        "Serve the REST API (/api, the seed's routes) and DICOMweb (/dicomweb: STOW-RS, "
        "QIDO-RS, WADO-RS) over an instance store: blobs under --data-dir indexed in "
        "SQLite there, or in PostgreSQL with --database-url. A new data directory is given "
        "a few sample files on its first start. The URL is printed when the store is "
        "ready; API documentation at /docs. Stop with Ctrl-C (or SIGTERM).\n\n"
        "Security: the server listens on 127.0.0.1 unless --host says otherwise; any other "
        "address needs --token (every /api and /dicomweb request must then carry "
        "'Authorization: Bearer TOKEN') or an explicit --insecure, else the command "
        f"refuses to start (exit 2). The token may also come from ${WEB_TOKEN_ENV}, which "
        "keeps it out of the process list."
    )
    p = sub.add_parser(
        "web",
        help=WEB_HELP,
        description="\n\n".join(textwrap.fill(t, 78) for t in "".join(paragraphs).split("\n\n")),
        epilog=(
            "examples:\n  dicom-tools web\n"
            '  dicom-tools web --host 0.0.0.0 --port 8042 --token "$(cat token.txt)" '
            "--cors https://viewer.example.org\n"
            "  dicom-tools web --database-url postgresql+psycopg://user@db/dicom --workers 4"
        ),
        formatter_class=formatter,
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    p.add_argument("--port", type=int, default=3000, help="port to listen on (default: 3000)")
    p.add_argument(
        "--data-dir",
        metavar="DIR",
        help="the store's folder: blobs, and the SQLite index unless --database-url "
        "(default: $XDG_DATA_HOME/dicom-tools, else ~/.local/share/dicom-tools)",
    )
    p.add_argument(
        "--database-url",
        metavar="URL",
        help="index in this database instead of SQLite, e.g. postgresql+psycopg://user@host/db "
        "(needs the 'postgres' extra); several servers may share it and one --data-dir",
    )
    who = p.add_mutually_exclusive_group()
    who.add_argument(
        "--token",
        metavar="T",
        help=f"bearer token required on every /api and /dicomweb request (or ${WEB_TOKEN_ENV})",
    )
    who.add_argument(
        "--insecure",
        action="store_true",
        help="serve without a token on an address other machines can reach",
    )
    p.add_argument(
        "--max-upload-mb",
        type=float,
        default=2048,
        metavar="N",
        help="largest request body in MiB; larger ones get 413 (default: 2048)",
    )
    p.add_argument(
        "--cors",
        action="append",
        metavar="ORIGIN",
        help="allow browser pages from ORIGIN (e.g. https://viewer.example.org, or *) to call "
        "the server, Authorization header included; repeat for several (default: none)",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="worker processes (default: 1); with SQLite they share the file, with "
        "PostgreSQL the database",
    )


_Namespace = type(sys.implementation)


def _value(opt_type: str, text: str) -> Any:
    """``text`` converted as argparse's ``type=`` does; ValueError where argparse would fail."""
    return int(text) if opt_type == "int" else float(text) if opt_type == "float" else text


def fast_parse(argv: list[str]) -> Any:
    """The Namespace argparse would give for a plain verb invocation, or None to ask argparse.

    Start-up matters (argparse and the modules it loads cost more than reading a header), so
    the common shape (a verb, its inputs, ``--flag``, ``--flag VALUE``, ``--flag=VALUE``, exact
    spellings only) is parsed here. Anything else (help, abbreviations, ``--``, short options
    run together, values starting with ``-``, two-value options, a value argparse would reject,
    a missing input) returns None: argparse then parses it, so every message and exit
    code stays argparse's own.
    """
    if not argv or argv[0] in OWN_VERBS or argv[0].startswith("-"):
        return None
    spec = registry.find(argv[0])
    if spec is None or argv[0] not in (spec.verb, spec.name):  # find() forgives spellings
        return None
    if any(o.positional for o in spec.options):
        return None
    flags: dict[str, tuple[str, str, Any]] = {}  # flag -> (dest, type, option or None)
    for opt in spec.options:
        for f in (opt.short, opt.flag, *opt.aliases):
            if f:
                flags[f] = (opt.name, opt.type, opt)
    if spec.output != "display":
        flags["-o"] = flags["--output"] = ("output", "str", None)
    if spec.json_flag:
        flags["--json"] = ("json", "bool", None)
    if spec.input == "file":
        for f in RECURSIVE_FLAGS:
            flags[f] = ("recursive", "bool", None)
    values: dict[str, Any] = {"debug": False, "verb": argv[0], "spec": spec}
    for opt in spec.options:
        default = opt.default
        if opt.type == "bool":
            default = bool(default)
        elif isinstance(default, str):  # argparse converts a string default by the type
            default = _value(opt.type, default)
        values[opt.name] = default
    if spec.output != "display":
        values["output"] = None
    if spec.json_flag:
        values["json"] = False
    if spec.input == "file":
        values["recursive"] = False
    positionals: list[str] = []
    i = 1
    while i < len(argv):
        token = argv[i]
        i += 1
        if not token.startswith("-") or token == "-":
            positionals.append(token)
            continue
        name, eq, attached = token.partition("=")
        hit = flags.get(name)
        if hit is None or (eq and not name.startswith("--")):
            return None
        dest, opt_type, opt = hit
        if opt is not None and opt.nargs:
            return None
        if opt_type == "bool":
            if eq:
                return None
            values[dest] = True
            continue
        if eq:
            text = attached
        elif i < len(argv) and (not argv[i].startswith("-") or argv[i] == "-"):
            text = argv[i]
            i += 1
        else:
            return None
        if not text:
            return None
        try:
            value = _value(opt_type, text)
        except ValueError:
            return None
        if opt is not None and opt.choices and value not in opt.choices:
            return None
        if opt is not None and opt.repeat:  # argparse's action="append"
            value = [*(values[dest] or ()), value]
        values[dest] = value
    if spec.input != "none":
        if not positionals and not spec.input_optional:
            return None
        values["input"] = positionals
    elif positionals:
        return None
    return _Namespace(**values)


def _parse(argv: list[str]) -> argparse.Namespace | None:
    """Parse ``argv``, answering ``--help``, ``--version`` and ``ops`` without argparse."""
    first = argv[0] if argv else ""
    if first in ("-h", "--help"):
        text = top_help()
        if text is not None:
            sys.stdout.write(text)
            raise SystemExit(0)
    elif first == "--version":
        print(f"{PROG} {__version__}")
        raise SystemExit(0)
    elif first == "ops" and all(a == "--json" for a in argv[1:]):
        _print_catalog("--json" in argv)
        return None
    fast = fast_parse(argv)
    if fast is not None:
        return fast  # type: ignore[no-any-return]
    known = first in OWN_VERBS or (
        not first.startswith("-") and first and registry.find(first) is not None
    )
    return build_parser(first if known else None).parse_args(argv)
