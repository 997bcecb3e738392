"""Reading DICOM with clear errors, and writing files atomically.

pydicom's reading configuration is set once, by ``_pydicom()``, the first time this module
needs pydicom (see ``dicom_tools.context`` for why it is a process constant, not per call).
"""

from __future__ import annotations

import io as _io
import os
import struct
import warnings

from dicom_tools.dicom.failures import check_source, looks_like_raw_dataset, not_dicom
from dicom_tools.dicom.source import Source
from dicom_tools.dicom.syntaxes import DEFLATED
from dicom_tools.dicom.tags import format_tag
from dicom_tools.errors import InputError, UsageError

# typing and collections cost start-up time (every command loads this module)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

    from pydicom import Dataset

_configured = False


def _pydicom() -> Any:
    """pydicom, configured for this toolkit on first use (one place, once per process)."""
    global _configured
    import pydicom
    from pydicom import config

    if not _configured:
        # Reading is lenient, as dcmtk's is: bad values are reported by `validate`, not on
        # every read. A constant of the process, never changed per call.
        config.settings.reading_validation_mode = config.IGNORE
        _configured = True
    return pydicom


def check_input_file(path: str | os.PathLike[str], name: str | None = None) -> str:
    """``path`` (spelled as ``str(Path(path))``) if it names a readable, non-empty regular file;
    one ``stat`` and no pathlib: a command given a whole series checks every file."""
    import stat

    from dicom_tools.dicom.source import normal_path

    p = normal_path(os.fspath(path))
    label = p if name is None else name  # what messages call it
    try:
        st = os.stat(p)
    except FileNotFoundError:
        raise InputError(f"{label}: no such file") from None
    except PermissionError:
        raise InputError(f"{label}: permission denied") from None
    except (OSError, ValueError) as exc:
        raise InputError(f"{label}: {getattr(exc, 'strerror', None) or exc}") from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError(f"{label}: is a directory, expected a file")
    if not stat.S_ISREG(st.st_mode):
        raise InputError(f"{label}: not a regular file")
    if not os.access(p, os.R_OK):
        raise InputError(f"{label}: permission denied")
    if st.st_size == 0:
        raise InputError(f"{label}: empty file")
    return p


def check_input(src: Source) -> Source:
    """``src`` if it can be read: a readable, non-empty regular file, or non-empty bytes;
    otherwise the one-line InputError naming it."""
    if src.filename is not None:
        if not src.checked:  # the registry checks every input once, before the operation
            check_input_file(src.filename, name=src.name)
            src.checked = True
    elif not src.read_bytes():
        raise InputError(f"{src.name}: empty input")
    return src


def read_dataset(
    path: str | os.PathLike[str] | Source,
    *,
    stop_before_pixels: bool = False,
    defer_size: int | str | None = None,
    convert: bool = True,
) -> Dataset:
    """Read a DICOM file (Part 10, or a bare data set as dcmtk accepts), or raise InputError.

    ``path`` may be a ``Source``: an instance held in memory is read from its bytes, with the
    same checks and the same messages (naming ``Source.name``) as a file.
    With ``convert=False`` the top-level elements stay raw (bytes as stored, for operations
    that work from those bytes); call ``check_items`` once their sequences are parsed.
    """
    dcmread = _pydicom().dcmread
    if isinstance(path, Source) and path.in_memory:
        data = path.read_bytes()
        if not data:
            raise InputError(f"{path.name}: empty input")
        p: Any = path.name  # messages name the instance as the caller does
        head = data[:132]
        src = path
    else:
        if isinstance(path, Source):  # messages name it as the caller does (a stored blob...)
            fs = check_input_file(path.filename, name=path.name)  # type: ignore[arg-type]
            src = path
        else:
            fs = check_input_file(path)
            src = Source.from_path(fs)
        p = src.name
        with open(fs, "rb") as f:
            head = f.read(132)
        data = None
    has_preamble = head[128:132] == b"DICM"
    has_prefix_only = head[:4] == b"DICM"  # some writers omit the preamble but keep "DICM"
    if not (has_preamble or has_prefix_only or looks_like_raw_dataset(head)):
        raise InputError(not_dicom(str(p)))
    # pydicom stops silently where an element header is cut short: the base reader's walk
    # tells a complete file (and words every structural failure as the header path does).
    check_source(src)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            ds = dcmread(
                fs if data is None else _io.BytesIO(data),
                force=True,
                stop_before_pixels=stop_before_pixels,
                defer_size=defer_size,
            )
        for w in caught:
            # pydicom only warns when an undefined-length value runs off the end of the file.
            if "End of file reached" in str(w.message):
                detail = str(w.message).split(" found in file")[0]
                raise InputError(f"{p}: file is truncated: {detail}")
        if convert:
            # Values are parsed lazily; converting each top-level element (deferred ones
            # excepted) surfaces a broken value here, with a clear message.
            for tag, elem in list(ds._dict.items()):
                if getattr(elem, "value", b"") is not None:
                    ds[tag]
            check_items(src, ds)
    except InputError:
        raise
    except Exception as exc:  # pydicom raises many types for malformed input
        raise InputError(f"{p}: cannot read DICOM data: {describe_exception(exc)}") from exc
    if len(ds) == 0:
        raise InputError(f"{p}: not a DICOM file (no data set)")
    return ds


def check_items(path: Path | str | Source, ds: Dataset, data: bytes | None = None) -> None:
    """Check that each item of a top-level sequence starts with an Item tag inside the file.

    pydicom accepts any 4 bytes where an item tag belongs; dcmtk rejects the file, and so do we.
    Only top-level items carry positions in the file, so nested items are not checked here.
    ``data`` holds the bytes of an in-memory instance (``path`` is then only its name); a
    ``Source`` brings its own (its bytes when in memory, its path when a file).
    """
    label = path
    if isinstance(path, Source):
        data = path.read_bytes() if path.in_memory else None
        label = path.name
        path = path.name if path.in_memory else path.filename  # type: ignore[assignment]
    if ds.file_meta.get("TransferSyntaxUID") == DEFLATED:
        return
    if data is None and not ds.filename:
        return
    little = ds.original_encoding[1] is not False
    fmt = "<HHL" if little else ">HHL"
    size = os.stat(path).st_size if data is None else len(data)
    with open(path, "rb") if data is None else _io.BytesIO(data) as f:
        for elem in list(ds._dict.values()):  # already converted, deferred values stay unread
            if getattr(elem, "VR", None) != "SQ" or not hasattr(elem, "is_undefined_length"):
                continue
            for n, item in enumerate(elem.value, 1):
                pos = getattr(item, "seq_item_tell", None)
                if pos is None:
                    continue
                f.seek(pos)
                header = f.read(8)
                group, element, length = (
                    struct.unpack(fmt, header) if len(header) == 8 else (0,) * 3
                )
                if (group, element) != (0xFFFE, 0xE000):
                    raise InputError(
                        f"{label}: broken sequence {elem.tag}: item {n} at byte {pos} has tag "
                        f"{format_tag(group << 16 | element)} instead of (FFFE,E000)"
                    )
                if length != 0xFFFFFFFF and pos + 8 + length > size:
                    raise InputError(
                        f"{label}: broken sequence {elem.tag}: item {n} claims {length} bytes, "
                        "more than the file holds"
                    )


def describe_exception(exc: BaseException) -> str:
    """A one-line description of a parsing exception, for error messages."""
    if isinstance(exc, EOFError | struct.error):
        return f"file is truncated ({exc})" if str(exc) else "file is truncated"
    msg = " ".join(str(exc).split()) or type(exc).__name__
    return msg if len(msg) <= 300 else msg[:297] + "..."


class atomic_output:  # lower case: it reads, and was, a function (``with atomic_output(p)``)
    """Give a temporary path beside ``path``; rename it into place only if the block succeeds
    (a class, not ``contextlib.contextmanager``: contextlib costs every command's start-up)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = path

    def __enter__(self) -> Path:
        import tempfile  # only writers pay for it (it imports random, hashlib, shutil)
        from pathlib import Path

        target = self.target = Path(self.path)
        parent = target.parent if str(target.parent) else Path(".")
        if not parent.is_dir():
            raise UsageError(f"{target}: output folder {parent} does not exist")
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=parent)
        os.close(fd)
        self.tmp = Path(tmp)
        return self.tmp

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        try:
            if kind is None:
                os.chmod(self.tmp, 0o644)
                os.replace(self.tmp, self.target)
                return
        except BaseException:
            self._discard()
            raise
        self._discard()  # the block failed: its exception goes on

    def _discard(self) -> None:
        import contextlib  # only on failure

        with contextlib.suppress(OSError):
            self.tmp.unlink()


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes) -> Path:
    from pathlib import Path

    with atomic_output(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def write_text_atomic(path: str | os.PathLike[str], text: str) -> Path:
    return write_bytes_atomic(path, text.encode("utf-8"))
