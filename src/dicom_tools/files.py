"""Input files for commands that take many, and distinct output names for them.

``dicom-tools info a.dcm b.dcm``, ``info scans/ --recursive`` and ``info "*.dcm"`` (a glob
quoted for shells that do not expand it, as on Windows) all name their files here; batch
processing finds its files the same way. Directories and glob matches are listed in sorted
order, hidden names (``.git``, ``.DS_Store``) left out, each file once.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from pathlib import Path

_GLOB_CHARS = frozenset("*?[")


class Found:
    """One input: a file to process, or a name that matched nothing (``problem``). ``path`` is
    text (pathlib costs a command's start-up more than reading a header does)."""

    __slots__ = ("path", "problem")

    def __init__(self, path: str, problem: str | None = None) -> None:
        self.path = path
        self.problem = problem

    def __repr__(self) -> str:
        return f"Found({self.path!r}, problem={self.problem!r})"


def is_pattern(name: str) -> bool:
    """Whether ``name`` is a glob to expand: it holds a wildcard and names no existing file."""
    return not _GLOB_CHARS.isdisjoint(name) and not os.path.lexists(name)


def names_many(inputs: Iterable[str]) -> bool:
    """Whether ``inputs`` ask for the many-files form of a command: several names, a folder or
    a pattern (even one matching a single file, so a script gets one output shape)."""
    names = list(inputs)
    return len(names) > 1 or any(os.path.isdir(n) or is_pattern(n) for n in names)


def _walk(folder: str, recursive: bool) -> Iterator[str]:
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        path = entry.path
        if entry.is_dir():
            if recursive:
                yield from _walk(path, recursive)
        else:
            yield path


def find_inputs(inputs: Iterable[str], recursive: bool = False) -> list[Found]:
    """The files named by ``inputs``, in order: files as given (a missing one is kept, so
    the operation reports it in its own words), folders listed (subfolders too when
    ``recursive``), patterns expanded (``**`` crosses folders when ``recursive``)."""
    found: list[Found] = []
    seen: set[str] = set()

    def add(path: str) -> None:
        key = os.path.normcase(os.path.abspath(path))
        if key not in seen:
            seen.add(key)
            found.append(Found(path))

    for name in inputs:
        if os.path.isdir(name):
            for path in _walk(name, recursive):
                add(path)
        elif is_pattern(name):
            import glob  # patterns only (it imports re)

            matches = sorted(glob.glob(name, recursive=recursive))
            files = 0
            for match in matches:
                if os.path.isdir(match):
                    if recursive:
                        for path in _walk(match, recursive):
                            add(path)
                            files += 1
                else:
                    add(match)
                    files += 1
            if not files:
                found.append(Found(name, f"{name}: no file matches this pattern"))
        else:
            add(name)
    return found


class OutputNames:
    """Hands out output paths, never the same one twice in a run: a second input that would
    write ``out/ct_rle.dcm`` gets ``out/ct_rle_2.dcm``, a third ``out/ct_rle_3.dcm``."""

    def __init__(self) -> None:
        self._taken: set[str] = set()

    def _key(self, path: str | Path) -> str:
        return os.path.normcase(os.path.abspath(path))

    def protect(self, paths: Iterable[str | Path]) -> None:
        """Never hand out these paths (the run's inputs: an output must not replace a file
        that is still to be read)."""
        self._taken.update(self._key(p) for p in paths)

    def reserve(self, path: Path) -> Path:
        candidate, n = path, 1
        while self._key(candidate) in self._taken:
            n += 1
            candidate = path.with_name(f"{path.stem}_{n}{path.suffix}")
        self._taken.add(self._key(candidate))
        return candidate
