"""One exception hierarchy; front ends map ``exit_code`` to exit codes, HTTP statuses, envelopes.

Messages name options neutrally: an operation writes ``option("window_center")`` into its
message, and each front end renders the marker in its own words with ``render(style)``:
``--window-center`` on the command line (style ``"cli"``), ``window_center`` in the contract,
the web API and the Python API (style ``"api"``, also what ``str(exc)`` gives). The marker is
two control characters around the name, so it cannot be confused with text from a file.
"""

from __future__ import annotations

_OPEN, _SEP, _CLOSE = "\x02", "\x1f", "\x03"
OPTION_MARK = _OPEN  # in a text that names an option (``option``): it needs ``render``


def option(name: str, value: str | None = None, *, flag: str | None = None) -> str:
    """A neutral reference to the option ``name`` (contract spelling, underscores).

    ``value`` is shown with it (``--output -`` / ``output=-``); ``flag`` overrides the
    command-line spelling where the CLI has a shorter one (``-o``).
    """
    return f"{_OPEN}{name}{_SEP}{value or ''}{_SEP}{flag or ''}{_CLOSE}"


def render(message: str, style: str = "api") -> str:
    """Turn the option markers of ``message`` into ``style``'s spelling ("cli" or "api")."""
    if _OPEN not in message:
        return message
    out: list[str] = []
    rest = message
    while True:
        start = rest.find(_OPEN)
        end = rest.find(_CLOSE, start + 1)
        if start < 0 or end < 0:
            out.append(rest)
            return "".join(out)
        out.append(rest[:start])
        parts = rest[start + 1 : end].split(_SEP)
        name, value, flag = [*parts, "", ""][:3]
        if style == "cli":
            text = flag or "--" + name.replace("_", "-")
            text += f" {value}" if value else ""
        else:
            text = f"{name}={value}" if value else name
        out.append(text)
        rest = rest[end + 1 :]


class DicomToolsError(Exception):
    """A failure with a user-facing one-line message (which may hold option markers)."""

    exit_code = 2
    category = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def render(self, style: str = "api") -> str:
        """The message with options spelled for a front end: "cli" or "api"."""
        return render(self.message, style)

    def __str__(self) -> str:
        return self.render("api")


class UsageError(DicomToolsError):
    """Bad arguments or options (exit 2)."""

    category = "usage"


class InputError(DicomToolsError):
    """Input that is missing, unreadable or not what the operation needs (exit 2)."""

    category = "input"


class MissingDependencyError(DicomToolsError):
    """An optional package or tool needed for this input is not installed (exit 2)."""

    category = "dependency"


class OperationFailed(DicomToolsError):
    """The operation ran and reports a failure, e.g. an echo that was refused (exit 1)."""

    exit_code = 1
    category = "failed"
