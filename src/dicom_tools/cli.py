"""The ``dicom-tools`` command: argparse generated from the operation registry.

Start-up is part of every command, so this module imports only ``sys`` and the registry (plain
classes, no dataclasses) at load. ``dicom-tools --help`` and ``dicom-tools ops`` are printed
from the catalog without argparse (the top-level help is formatted exactly as argparse would,
which a test checks at many widths); a verb builds the argparse parser of that verb alone, so
``dicom-tools info FILE`` pays nothing for the other verbs' parsers.
"""

from __future__ import annotations

import sys

from dicom_tools import __version__, registry
from dicom_tools.errors import DicomToolsError

# typing costs start-up time; annotations are strings here (PEP 563)
TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from typing import Any

PROG = "dicom-tools"
DEVICE_ENV = "DICOM_TOOLS_DEVICE"  # the default array backend of pixel operations
DESCRIPTION = "DICOM toolkit: inspect, convert, de-identify, validate and render DICOM."
EPILOG = (
    "examples:\n  dicom-tools info scan.dcm --json\n  dicom-tools ops\n"
    '  echo \'{"op": "info", "input": "scan.dcm"}\' | dicom-tools run -\n\n'
    "Exit codes: 0 success, 1 the operation reports a failure, 2 usage error or "
    "unreadable input. Add --debug for a traceback."
)
# The verbs of the CLI itself, beside the operations: (name, summary).
OPS_HELP = "list the operations with their options"
RUN_HELP = "execute a JSON contract request and print the response envelope"
WEB_HELP = "serve the REST API and DICOMweb over an instance store"
# The web front end, imported by name when its verb runs: the front ends stay independent of
# each other (import-linter), and nothing of FastAPI, uvicorn or SQLAlchemy loads otherwise.
WEB_ENTRY = "dicom_tools.web.server:main"
WEB_TOKEN_ENV = "DICOM_TOOLS_WEB_TOKEN"  # the token without showing it in `ps`
# The CLI's own verbs (not operations of the registry): parsed by argparse alone.
OWN_VERBS = ("ops", "run", "web")
RECURSIVE_FLAGS = ("-r", "--recursive")
RECURSIVE_HELP = "descend into subfolders of a folder given as input"


def _default_output(spec: registry.OpSpec) -> str:
    """The inferred output name in words: transcode's depends on its target."""
    if spec.suffix_from:
        return f"<input stem>_<target>.dcm, {spec.output_suffix} for the default target"
    return f"<input stem>{spec.output_suffix}"


def _inputs_help(spec: registry.OpSpec) -> str:
    return spec.input_help + "; several files, folders and quoted patterns ('*.dcm') are allowed"


_GLOBAL_OPTIONS = (
    ("-h, --help", "show this help message and exit"),
    ("--version", "show program's version number and exit"),
    ("--debug", "show tracebacks on errors"),
)


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


# --- the top-level help without argparse ------------------------------------------------------


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


def _env_device() -> str | None:
    """The array backend named by $DICOM_TOOLS_DEVICE: read here, by the front end, and
    handed down in the Context (operations never read the environment)."""
    import os

    return os.environ.get(DEVICE_ENV) or None


def _run_request(source: str) -> int:
    import json

    from dicom_tools import contract
    from dicom_tools.context import Context

    try:
        if source == "-":
            data = sys.stdin.buffer.read()
        else:
            with open(source, "rb") as f:
                data = f.read()
    except OSError as exc:  # still an envelope: whatever reads our stdout expects one
        result = contract.RunResult(
            ok=False, returncode=2, stderr=f"{source}: {exc.strerror or exc}"
        )
    else:
        result = contract.handle_json(data, Context(device=_env_device(), caller="contract"))
    print(json.dumps(result.to_dict(), indent=2))
    return result.returncode


# --- the common verb invocations without argparse ------------------------------------------

# argparse's Namespace without importing argparse: sys.implementation is a SimpleNamespace.
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


def main(argv: list[str] | None = None) -> int:
    try:
        return _main(list(sys.argv[1:] if argv is None else argv))
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, as cat and dcmdump do.
        _silence_stdout()
        return 0
    except KeyboardInterrupt:
        return 130


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that the interpreter's last flush has nowhere to fail."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def _error(spec: registry.OpSpec, exc: BaseException, where: str | None, debug: bool) -> int:
    """Report a failed operation on stderr in one line; the exit code it stands for."""
    if debug:
        raise exc
    if isinstance(exc, DicomToolsError):
        print(f"{PROG} {spec.verb}: error: {exc.render('cli')}", file=sys.stderr)
        return exc.exit_code
    prefix = f"{where}: " if where else ""
    msg = " ".join(str(exc).split()) or type(exc).__name__
    print(
        f"{PROG} {spec.verb}: error: {prefix}{msg} ({type(exc).__name__}; "
        "rerun with --debug for a traceback)",
        file=sys.stderr,
    )
    return 2


def _main(argv: list[str]) -> int:
    debug = "--debug" in argv
    if debug:
        argv = [a for a in argv if a != "--debug"]
    args = _parse(argv)
    if args is None:
        return 0
    if args.verb == "ops":
        _print_catalog(args.json)
        return 0
    if args.verb == "run":
        return _run_request(args.request)
    if args.verb == "web":
        return _serve_web(args, debug)

    from dicom_tools.context import Context

    def show(message: str) -> None:
        # Library warnings about odd values are noise on a command line; --debug shows them.
        if debug:
            print(f"{PROG}: warning: {message}", file=sys.stderr)

    spec: registry.OpSpec = args.spec
    options = {o.name: getattr(args, o.name) for o in spec.options}
    inputs: list[str] = getattr(args, "input", None) or []
    context = Context(on_warning=show, device=_env_device(), caller="cli")
    if len(inputs) > 1 or (inputs and _names_many(inputs[0])):
        return _run_many(spec, args, options, context, debug)
    input_path = inputs[0] if inputs else None
    try:
        result = registry.execute(
            spec, input_path, getattr(args, "output", None), options, context=context
        )
    except Exception as exc:
        return _error(spec, exc, input_path, debug)
    stream = None if getattr(args, "json", False) or result.payload is not None else result.stream
    if stream is not None:  # text made as it is written (dump): print each chunk as it comes
        last = ""
        for last in stream:
            sys.stdout.write(last)
        sys.stdout.write("" if not last or last.endswith("\n") else "\n")
        sys.stdout.flush()
        return 1 if result.failed else 0
    text = result.render(getattr(args, "json", False))
    if text:
        out = sys.stdout
        out.write(text if text.endswith("\n") else text + "\n")
        out.flush()
    return 1 if result.failed else 0


def _serve_web(args: Any, debug: bool) -> int:
    """``dicom-tools web``: hand the options to the web front end, imported by name."""
    import os

    options = {
        "host": args.host,
        "port": args.port,
        "data_dir": args.data_dir,
        "database_url": args.database_url,
        "token": args.token if args.token is not None else os.environ.get(WEB_TOKEN_ENV) or None,
        "insecure": args.insecure,
        "max_upload_mb": args.max_upload_mb,
        "cors": args.cors or [],
        "workers": args.workers,
    }
    module, _, attr = WEB_ENTRY.partition(":")
    try:
        try:
            __import__(module)
        except ImportError as exc:
            from dicom_tools.errors import MissingDependencyError

            raise MissingDependencyError(
                f"the web server needs {exc.name or 'a package'}: pip install dicom-tools"
            ) from None
        return sys.modules[module].__dict__[attr](options)  # type: ignore[no-any-return]
    except Exception as exc:
        if debug:
            raise
        if isinstance(exc, DicomToolsError):
            print(f"{PROG} web: error: {exc.render('cli')}", file=sys.stderr)
            return exc.exit_code
        msg = " ".join(str(exc).split()) or type(exc).__name__
        print(
            f"{PROG} web: error: {msg} ({type(exc).__name__}; rerun with --debug)", file=sys.stderr
        )
        return 2


# --- many inputs in one process ----------------------------------------------------------


def _names_many(name: str) -> bool:
    from dicom_tools import files

    return files.names_many([name])


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


def _run_many(
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
