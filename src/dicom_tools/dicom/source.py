"""Where an instance comes from: a file on disk, or bytes / a data set held in memory.

Every file operation reads its input through a ``Source``, so a server can hand it the instance
it received (a DIMSE C-STORE, a STOW-RS part) without writing a temp file. ``name`` is what
messages and results call the input: the path for a file (as ``str(Path(...))`` spells it),
the caller's name otherwise; ``str(source)`` is that name, so a message reads the same for both.
A file is never read whole here: the reader maps it, the pixel source reads frames by offset.

Standard library only: a data set is serialised with pydicom only when one is given.
"""

from __future__ import annotations

import io
import os

TYPE_CHECKING = False  # typing costs start-up time (every file command makes a Source)
if TYPE_CHECKING:
    from pathlib import Path
    from typing import IO, Any


class Source:
    """One input instance: a path, Part 10 bytes, or a pydicom ``Dataset`` (serialised lazily)."""

    __slots__ = ("_data", "_dataset", "_path", "_size", "checked", "filename", "name")

    def __init__(
        self,
        name: str,
        path: str | os.PathLike[str] | None = None,
        data: bytes | None = None,
        dataset: Any = None,
    ) -> None:
        if (path is None) == (data is None and dataset is None):
            raise ValueError("a Source has exactly one of a path, bytes or a data set")
        self.name = name
        # The file's path as text: what the header path uses (pathlib and the regular
        # expressions it imports cost a command more than reading a header does).
        self.filename = None if path is None else os.fspath(path)
        self._path: Path | None = path if path is None or not isinstance(path, str) else None
        self._data = data
        self._dataset = dataset
        self._size: int | None = None
        self.checked = False  # a readable, non-empty regular file (io.check_input said so)

    @classmethod
    def from_path(cls, path: str | os.PathLike[str]) -> Source:
        name = normal_path(os.fspath(path))
        return cls(name, path=name)

    @property
    def path(self) -> Path | None:
        """The file's ``Path`` (None for an instance in memory), made when first asked for."""
        if self._path is None and self.filename is not None:
            from pathlib import Path

            self._path = Path(self.filename)
        return self._path

    @classmethod
    def from_bytes(cls, data: bytes | bytearray | memoryview, name: str = "<memory>") -> Source:
        return cls(name, data=bytes(data))

    @classmethod
    def from_dataset(cls, dataset: Any, name: str = "<memory>") -> Source:
        """A pydicom ``Dataset``; it is written as Part 10 bytes when first read, so the
        operation sees exactly what a file holding it would give and never mutates it."""
        return cls(name, dataset=dataset)

    @property
    def in_memory(self) -> bool:
        return self.filename is None

    @property
    def size(self) -> int:
        if self.filename is not None:
            if self._size is None:  # asked once per command (info's FileSize)
                self._size = os.stat(self.filename).st_size
            return self._size
        return len(self.read_bytes())

    def read_bytes(self) -> bytes:
        if self.filename is not None:
            with open(self.filename, "rb") as f:
                return f.read()
        if self._data is None:
            self._data = _serialise(self._dataset)
        return self._data

    def open(self) -> IO[bytes]:
        """A binary file object positioned at the start (the caller closes it)."""
        if self.filename is not None:
            return open(self.filename, "rb")
        return io.BytesIO(self.read_bytes())

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        kind = "path" if self.filename is not None else "memory"
        return f"Source({self.name!r}, {kind})"


def as_source(value: Source | str | os.PathLike[str]) -> Source:
    """``value`` as a Source: a Source as it is, a path as a file (operations called directly
    with a path, as the Python API and the tests do)."""
    return value if isinstance(value, Source) else Source.from_path(value)


def normal_path(path: str) -> str:
    """``path`` spelled as ``str(Path(path))`` spells it (messages name the input so), without
    pathlib: repeated and trailing separators and "." parts dropped."""
    if os.sep != "/":  # Windows spellings: leave them to pathlib
        from pathlib import Path

        return str(Path(path))
    if not path:
        return "."
    head = "//" if path.startswith("//") and not path.startswith("///") else "/" * (path[0] == "/")
    parts = [p for p in path.split("/") if p and p != "."]
    return head + "/".join(parts) if parts or head else "."


def _serialise(ds: Any) -> bytes:
    """Part 10 bytes of a data set, with a preamble and meta header when it has file meta."""
    from pydicom import dcmwrite

    buf = io.BytesIO()
    meta = getattr(ds, "file_meta", None)
    kwargs: dict[str, Any] = {}
    if not (meta and "TransferSyntaxUID" in meta) and getattr(ds, "is_implicit_VR", None) is None:
        # a data set built in memory with no encoding: the commonest, Explicit VR Little Endian
        kwargs = {"implicit_vr": False, "little_endian": True}
    dcmwrite(buf, ds, **kwargs)
    return buf.getvalue()
