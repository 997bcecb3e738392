"""The ``dicom-tools`` command: argparse generated from the operation registry.

Start-up is part of every command, so this module imports only ``sys`` and the registry (plain
classes, no dataclasses) at load. ``dicom-tools --help`` and ``dicom-tools ops`` are printed
from the catalog without argparse (the top-level help is formatted exactly as argparse would,
which a test checks at many widths); a verb builds the argparse parser of that verb alone, so
``dicom-tools info FILE`` pays nothing for the other verbs' parsers.

Here: ``main`` and the verbs' dispatch. ``parser``: argparse from the registry and the fast
parse of plain invocations; ``helptext``: the top-level help and ``ops``; ``many``: several
inputs in one process; ``report``: one-line errors and a closed stdout; ``words``: the texts.
"""

from __future__ import annotations

import sys

from dicom_tools import registry
from dicom_tools.cli.helptext import _print_catalog, _wrap, top_help
from dicom_tools.cli.parser import _parse, build_parser, fast_parse
from dicom_tools.cli.report import _error, _silence_stdout
from dicom_tools.cli.words import DEVICE_ENV, PROG, WEB_ENTRY, WEB_TOKEN_ENV
from dicom_tools.errors import DicomToolsError

__all__ = ["_wrap", "build_parser", "fast_parse", "main", "registry", "top_help"]

# typing costs start-up time; annotations are strings here (PEP 563)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


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


def main(argv: list[str] | None = None) -> int:
    try:
        return _main(list(sys.argv[1:] if argv is None else argv))
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, as cat and dcmdump do.
        _silence_stdout()
        return 0
    except KeyboardInterrupt:
        return 130


def _names_many(name: str) -> bool:
    from dicom_tools import files

    return files.names_many([name])


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
        from dicom_tools.cli.many import run_many

        return run_many(spec, args, options, context, debug)
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
