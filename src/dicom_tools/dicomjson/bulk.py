"""Binary values outside the JSON: InlineBinary (base64) and BulkDataURI files.

``BulkSink`` collects the values ``to-json`` moves out (the caller writes them once the whole
conversion has succeeded); ``read_bulk_data`` reads one back for ``from-json``, only from files
inside the JSON file's folder.
"""

from __future__ import annotations

import binascii

from dicom_tools.dicomjson.model import ModelError, is_string, where

TYPE_CHECKING = False  # to-json loads this module: typing and dataclasses cost start-up
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any


class BulkSink:
    """Collects values longer than ``threshold`` bytes; they become files in ``folder``.

    URIs are relative to ``base`` (the JSON file's folder). Nothing is written here: the caller
    writes ``files`` once the whole conversion has succeeded.
    """

    __slots__ = ("base", "files", "folder", "threshold")

    def __init__(
        self, threshold: int, folder: Path, base: Path, files: dict[Path, bytes] | None = None
    ) -> None:
        self.threshold = threshold
        self.folder = folder
        self.base = base
        self.files = {} if files is None else files

    def __repr__(self) -> str:
        return (
            f"BulkSink(threshold={self.threshold!r}, folder={self.folder!r}, "
            f"base={self.base!r}, files={self.files!r})"
        )

    def add(self, path: str, data: bytes) -> str:
        from urllib.parse import quote

        target = self.folder / f"{path}.bin"
        self.files[target] = data
        rel = target.resolve().relative_to(self.base.resolve())
        return quote(rel.as_posix(), safe="/")

    def empty_copy(self) -> BulkSink:
        """The same sink with nothing collected (to start a conversion over)."""
        return BulkSink(self.threshold, self.folder, self.base)


def inline_binary_text(data: bytes) -> str:
    """The base64 text of an InlineBinary value (binascii: the base64 module imports re, which
    the to-json header path does without)."""
    return binascii.b2a_base64(data, newline=False).decode("ascii")


def inline_binary(value: Any, path: str) -> bytes:
    """The bytes of an InlineBinary value (whitespace in the base64 is tolerated)."""
    if not is_string(value):
        raise ModelError(f"{where(path)}: InlineBinary must be a base64 string")
    if "\n" in value or "\r" in value or " " in value:
        value = "".join(value.split())
    import base64  # decoding (from-json) only

    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ModelError(f"{where(path)}: InlineBinary is not valid base64") from None


def read_bulk_data(uri: Any, base_dir: Path | None, path: str) -> bytes:
    """The bytes a BulkDataURI names: a file inside ``base_dir`` (relative or ``file:`` URI).
    ``base_dir`` None (JSON held in memory, no folder of its own): no file is read."""
    from urllib.parse import unquote, urlsplit

    if not is_string(uri) or not uri:
        raise ModelError(f"{where(path)}: BulkDataURI must be a non-empty string")
    if base_dir is None:  # a server's request must not name files on the server
        raise ModelError(
            f"{where(path)}: BulkDataURI {uri!r}: JSON held in memory has no folder to read "
            "bulk data from"
        )
    parts = urlsplit(uri)
    if (parts.scheme and parts.scheme.lower() != "file") or len(parts.scheme) == 1:
        # (a one-letter "scheme" is a Windows drive; refused like any absolute path)
        raise ModelError(
            f"{where(path)}: BulkDataURI {uri!r}: only files next to the JSON are read, "
            f"not {parts.scheme}: URIs"
        )
    if parts.netloc not in ("", "localhost") or parts.query or parts.fragment:
        raise ModelError(f"{where(path)}: BulkDataURI {uri!r}: not a local file reference")
    rel = unquote(parts.path)
    base = base_dir.resolve()
    target = (base / rel).resolve()  # an absolute path replaces base, then fails the check
    if not target.is_relative_to(base):
        raise ModelError(
            f"{where(path)}: BulkDataURI {uri!r} points outside the JSON file's folder"
        )
    try:
        return target.read_bytes()
    except OSError as exc:
        raise ModelError(f"{where(path)}: BulkDataURI {uri!r}: {exc.strerror or exc}") from None
