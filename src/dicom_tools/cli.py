"""The ``dicom-tools`` command: argparse generated from the operation registry."""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from typing import Any

from dicom_tools import __version__, registry
from dicom_tools.errors import DicomToolsError

PROG = "dicom-tools"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        # One line, exit 2, as for every usage error.
        self.exit(2, f"{self.prog}: error: {message}\n(try '{self.prog} --help')\n")


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
    if opt.repeat:  # --keep A B --keep C -> [A, B, C]
        kw["action"] = "extend"
        kw["nargs"] = "+"
    if opt.metavar:
        kw["metavar"] = opt.metavar
    if opt.default is not None and opt.help:
        kw["help"] = f"{opt.help} (default: {opt.default})"
    p.add_argument(*flags, **kw)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="DICOM toolkit: inspect, convert, de-identify, validate and render DICOM.",
        epilog=(
            "examples:\n  dicom-tools info scan.dcm --json\n  dicom-tools ops\n"
            '  echo \'{"op": "info", "input": "scan.dcm"}\' | dicom-tools run -\n\n'
            "Exit codes: 0 success, 1 the operation reports a failure, 2 usage error or "
            "unreadable input. Add --debug for a traceback."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="verb", metavar="COMMAND")
    sub.required = True

    for spec in registry.all_ops():
        aliases = [spec.name] if spec.name != spec.verb else []
        p = sub.add_parser(
            spec.verb,
            aliases=aliases,
            help=spec.summary,
            description=spec.summary + (f"\n\n{spec.description}" if spec.description else ""),
            epilog=f"example:\n  {spec.example}" if spec.example else None,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        p.set_defaults(spec=spec)
        if spec.input != "none":
            nargs = "?" if spec.input_optional else None
            p.add_argument("input", metavar="INPUT", nargs=nargs, help=spec.input_help)
        if spec.output != "display":
            out_help = "output path"
            if spec.output_suffix:
                out_help += f" (default: <input stem>{spec.output_suffix}; a folder is allowed)"
            if spec.stdout_ok:
                out_help += "; '-' writes to stdout"
            p.add_argument("-o", "--output", metavar="OUTPUT", help=out_help)
        for opt in spec.options:
            _add_option(p, opt)
        if spec.json_flag:
            p.add_argument("--json", action="store_true", help="print the result as JSON")

    p = sub.add_parser(
        "ops",
        help="list the operations with their options",
        description="List the operations of the registry with their specs.",
        epilog="example:\n  dicom-tools ops --json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--json", action="store_true", help="print the catalog as JSON")
    p = sub.add_parser(
        "run",
        help="execute a JSON contract request and print the response envelope",
        description=(
            'Execute a contract request {"op", "input", "output", "options"} and print the '
            'response {"ok", "returncode", "stdout", "stderr", "output_files", "metadata", '
            '"backend", "operation"}. The exit code is the operation\'s.'
        ),
        epilog=('example:\n  echo \'{"op": "to_json", "input": "scan.dcm"}\' | dicom-tools run -'),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("request", nargs="?", default="-", help="request JSON file, or - for stdin")
    return parser


def _print_catalog(as_json: bool) -> None:
    specs = registry.all_ops()
    if as_json:
        print(json.dumps([s.to_dict() for s in specs], indent=2))
        return
    for s in specs:
        print(f"{s.name:<12} {s.summary}")
        print(f"{'':<12} input: {s.input}, output: {s.output}", end="")
        print(f", default output <stem>{s.output_suffix}" if s.output_suffix else "")
        for o in s.options:
            default = "" if o.default in (None, False) else f" [default {o.default}]"
            print(f"{'':<14}{o.flag} ({o.type}){default}: {o.help}")


def _run_request(source: str) -> int:
    from dicom_tools import contract

    try:
        if source == "-":
            text = sys.stdin.read()
        else:
            with open(source, encoding="utf-8") as f:
                text = f.read()
    except OSError as exc:
        print(f"{PROG} run: error: {source}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    result = contract.handle_json(text)
    print(json.dumps(result.to_dict(), indent=2))
    return result.returncode


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    if debug:
        argv = [a for a in argv if a != "--debug"]
    else:
        # Library warnings about odd values are noise on a command line; --debug shows them.
        warnings.simplefilter("ignore")
    args = build_parser().parse_args(argv)
    if args.verb == "ops":
        _print_catalog(args.json)
        return 0
    if args.verb == "run":
        return _run_request(args.request)

    spec: registry.OpSpec = args.spec
    options = {o.name: getattr(args, o.name) for o in spec.options}
    input_path = getattr(args, "input", None)
    try:
        result = registry.execute(spec, input_path, getattr(args, "output", None), options)
    except DicomToolsError as exc:
        if debug:
            raise
        print(f"{PROG} {spec.verb}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        if debug:
            raise
        where = f"{input_path}: " if input_path else ""
        msg = " ".join(str(exc).split()) or type(exc).__name__
        print(
            f"{PROG} {spec.verb}: error: {where}{msg} ({type(exc).__name__}; "
            "rerun with --debug for a traceback)",
            file=sys.stderr,
        )
        return 2
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
