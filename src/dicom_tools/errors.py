"""One exception hierarchy; front ends map ``exit_code`` to exit codes, HTTP statuses, envelopes."""

from __future__ import annotations


class DicomToolsError(Exception):
    """A failure with a user-facing one-line message."""

    exit_code = 2
    category = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


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
