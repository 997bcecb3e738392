"""The standard's IOD and module tables (PS3.3), from the JSON files highdicom ships.

highdicom (``highdicom/_standard/*.json``) carries three maps generated from the standard:
SOP Class UID -> IOD, IOD -> modules with their usage (M, C, U), and module -> attributes with
their type (1, 1C, 2, 2C, 3) and the path of sequences they sit in (functional group macros of
enhanced objects are expanded under Shared/Per-Frame Functional Groups Sequence).

Only the JSON files are read: the highdicom package itself is never imported (it pulls in numpy,
PIL and much more). Parsing the 22 MB module map takes a few hundred milliseconds, so the result
is converted once into a compact form and cached twice: in memory for the process, and as a
``marshal`` file in the user's cache folder (keyed by highdicom's version and this Python), so a
new process loads just the modules of the IOD it needs.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import marshal
import os
import sys
import tempfile
from functools import cache, lru_cache
from pathlib import Path
from typing import NamedTuple

from dicom_tools.dicom.dictionary import tag_for
from dicom_tools.errors import MissingDependencyError

_FORMAT = 1  # bump when the cached layout changes

TYPES = ("1", "1C", "2", "2C", "3")


class Attr(NamedTuple):
    """One attribute of a module: ``children`` are the attributes of its items (sequences)."""

    keyword: str
    tag: int
    type: str  # 1, 1C, 2, 2C or 3
    children: tuple[Attr, ...]


class ModuleUse(NamedTuple):
    key: str  # highdicom's module key, e.g. "general-series"
    usage: str  # M, C or U


def _standard_dir() -> Path:
    spec = importlib.util.find_spec("highdicom")  # locates the package without importing it
    folder = None
    if spec is not None and spec.submodule_search_locations:
        folder = Path(next(iter(spec.submodule_search_locations))) / "_standard"
    if folder is None or not (folder / "module_attribute_map.json").is_file():
        # highdicom < 0.28 kept these tables as Python modules, which are costly to import.
        raise MissingDependencyError(
            "validate needs the DICOM standard tables shipped by highdicom >= 0.28 "
            "(pip install 'highdicom>=0.28,<1')"
        )
    return folder


def _version_key(folder: Path) -> str:
    stat = (folder / "module_attribute_map.json").stat()
    python = f"py{sys.version_info[0]}{sys.version_info[1]}"
    return f"v{_FORMAT}-{stat.st_size}-{int(stat.st_mtime)}-{python}"


def _cache_dir() -> Path:
    chosen = os.environ.get("DICOM_TOOLS_CACHE")
    if chosen:
        return Path(chosen)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "dicom-tools"


def _compact(entries: list[dict]) -> tuple:
    """A module's flat attribute list (with sequence paths) as a nested tuple tree.

    An attribute listed twice at one level (two macros including it) keeps its strictest type.
    """
    root: dict[str, list] = {}
    for e in entries:
        level = root
        for parent in e["path"]:
            node = level.setdefault(parent, ["3", {}])
            level = node[1]
        kw = e["keyword"]
        kind = e["type"] if e["type"] in TYPES else "3"
        node = level.get(kw)
        if node is None:
            level[kw] = [kind, {}]
        elif TYPES.index(kind) < TYPES.index(node[0]):
            node[0] = kind

    def freeze(level: dict[str, list]) -> tuple:
        out = []
        for kw, (kind, children) in level.items():
            tag = tag_for(kw)
            if tag is None:  # newer than pydicom's dictionary: cannot be checked by tag
                continue
            out.append((kw, tag, kind, freeze(children)))
        return tuple(out)

    return freeze(root)


def _build(folder: Path) -> dict:
    sop = json.loads((folder / "sop_class_iod_map.json").read_text("utf-8"))
    iods = json.loads((folder / "iod_module_map.json").read_text("utf-8"))
    modules = json.loads((folder / "module_attribute_map.json").read_text("utf-8"))
    return {
        "sop": sop,
        "iods": {k: [(m["key"], m["usage"]) for m in v] for k, v in iods.items()},
        "modules": {k: marshal.dumps(_compact(v)) for k, v in modules.items()},
    }


@lru_cache(maxsize=1)
def _tables() -> dict:
    folder = _standard_dir()
    cache = _cache_dir() / f"standard-tables-{_version_key(folder)}.marshal"
    with contextlib.suppress(OSError, ValueError, EOFError, TypeError):
        return marshal.loads(cache.read_bytes())
    tables = _build(folder)
    with contextlib.suppress(OSError):  # an unwritable cache only costs the next process time
        cache.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=cache.parent, prefix=".tables-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(marshal.dumps(tables))
            os.replace(tmp, cache)  # atomic: concurrent processes never read half a file
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
    return tables


def iod_for(sop_class: str) -> str | None:
    """The IOD key (e.g. ``ct-image``) of a SOP Class UID, or None if the tables lack it."""
    return _tables()["sop"].get(sop_class)


def iod_modules(iod: str) -> list[ModuleUse]:
    return [ModuleUse(k, u) for k, u in _tables()["iods"].get(iod, [])]


@cache
def module_attributes(module: str) -> tuple[Attr, ...]:
    raw = _tables()["modules"].get(module)
    if raw is None:
        return ()

    def build(nodes: tuple) -> tuple[Attr, ...]:
        return tuple(Attr(kw, tag, kind, build(children)) for kw, tag, kind, children in nodes)

    return build(marshal.loads(raw))


@cache
def _body_parts() -> tuple[dict[str, bool], dict[tuple[str, str], bool]]:
    """PS3.16 Table L-1 as highdicom ships it: Body Part Examined term -> (scheme, code,
    meaning, paired); returned as term -> paired and (scheme, code) -> paired."""
    data = json.loads((_standard_dir() / "anatomic_regions.json").read_text("utf-8"))
    terms = {term: bool(row[3]) for term, row in data.items()}
    codes = {(row[0].upper(), row[1].upper()): bool(row[3]) for row in data.values()}
    return terms, codes


def body_part_paired(term: str) -> bool | None:
    """Whether a Body Part Examined term names a paired structure; None if not in the table."""
    return _body_parts()[0].get(term.strip().upper())


def code_paired(scheme: str, code: str) -> bool | None:
    return _body_parts()[1].get((scheme.strip().upper(), code.strip().upper()))
