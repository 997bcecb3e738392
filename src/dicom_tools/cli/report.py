"""What the command prints when an operation fails, and how it ends when its reader goes."""

from __future__ import annotations

import sys

from dicom_tools.cli.words import PROG
from dicom_tools.errors import DicomToolsError

# typing costs start-up time; annotations are strings here (PEP 563)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from dicom_tools import registry


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
