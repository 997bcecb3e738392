"""The operation registry: every operation is declared once, here.

Front ends (CLI, contract, web, batch) are generated from these specs or dispatch through them.
Functions are named as ``"module:function"`` strings and imported only when the operation runs,
so ``dicom-tools info`` never pays for Pillow, pynetdicom or a web stack.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from dicom_tools.errors import UsageError

InputKind = Literal["file", "directory", "none"]
OutputKind = Literal["file", "directory", "display"]
OptionType = Literal["bool", "int", "float", "str", "path"]

_PY_TYPES: dict[str, Callable[[str], Any]] = {"int": int, "float": float, "str": str, "path": str}


@dataclass(frozen=True)
class Option:
    """One option of an operation. ``name`` is the contract key (underscores)."""

    name: str
    type: OptionType
    default: Any = None
    help: str = ""
    choices: tuple[str, ...] | None = None
    aliases: tuple[str, ...] = ()  # extra CLI flags, e.g. ("--syntax",)
    short: str | None = None  # e.g. "-v"
    metavar: str | tuple[str, ...] | None = None
    nargs: int | None = None  # e.g. 2 for "--range LO HI"; the value is then a list
    positional: bool = False  # a CLI positional argument instead of a flag (echo's HOST:PORT)
    repeat: bool = False  # may be given several times; the value is then a list

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    def spellings(self) -> tuple[str, ...]:
        """Every spelling accepted in a contract request's options."""
        alias_keys = tuple(a.lstrip("-").replace("-", "_") for a in self.aliases)
        return (self.name, *alias_keys)

    def coerce(self, value: Any) -> Any:
        """Convert a contract value (JSON) to this option's type, or raise UsageError."""
        if value is None:
            return None
        if self.repeat:
            values = value if isinstance(value, list | tuple) else [value]
            return [self._coerce_one(v) for v in values]
        if self.nargs:
            if not isinstance(value, list | tuple) or len(value) != self.nargs:
                raise UsageError(f"option {self.name}: expected a list of {self.nargs} values")
            return [self._coerce_one(v) for v in value]
        return self._coerce_one(value)

    def _coerce_one(self, value: Any) -> Any:
        try:
            if self.type == "bool":
                if isinstance(value, str):
                    low = value.strip().lower()
                    if low in ("1", "true", "yes", "on"):
                        return True
                    if low in ("0", "false", "no", "off", ""):
                        return False
                    raise ValueError(value)
                return bool(value)
            if self.type == "int" and isinstance(value, float) and not value.is_integer():
                raise ValueError(value)
            converted = _PY_TYPES[self.type](value)
        except (TypeError, ValueError):
            raise UsageError(f"option {self.name}: expected {self.type}, got {value!r}") from None
        if self.choices and converted not in self.choices:
            raise UsageError(
                f"option {self.name}: {converted!r} is not one of {', '.join(self.choices)}"
            )
        return converted

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "name": self.name,
            "flag": self.flag,
            "type": self.type,
            "default": self.default,
            "help": self.help,
        }
        if self.choices:
            d["choices"] = list(self.choices)
        if self.aliases:
            d["aliases"] = list(self.aliases)
        if self.repeat:
            d["repeat"] = True
        return d


@dataclass(frozen=True)
class OpSpec:
    """An operation: its name, what it takes and gives, its options and where its code lives."""

    name: str  # contract name, underscores: to_image
    summary: str
    func: str  # "package.module:function", imported lazily
    input: InputKind
    output: OutputKind
    options: tuple[Option, ...] = ()
    output_suffix: str | None = None  # inferred output: <stem><suffix>
    json_flag: bool = False  # front ends offer --json to print ``Result.data`` as JSON
    stdout_ok: bool = False  # "-o -" streams the output to stdout
    example: str = ""
    description: str = ""
    input_help: str = "input DICOM file"
    input_optional: bool = False  # e.g. `transcode --list` runs without an input
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def verb(self) -> str:
        return self.name.replace("_", "-")

    def function(self) -> Callable[..., Any]:
        module, _, attr = self.func.partition(":")
        return getattr(importlib.import_module(module), attr)

    def option(self, name: str) -> Option | None:
        return next((o for o in self.options if o.name == name), None)

    def infer_output(self, input_path: str | Path | None, output: str | Path | None) -> Path | None:
        """The output path as the contract defines it; ``None`` means stdout (``-o -``)."""
        if self.output == "display":
            return None
        if output is not None and str(output) == "-":
            if not self.stdout_ok:
                raise UsageError(f"{self.verb}: cannot write its output to stdout ('-o -')")
            return None
        if output is not None and str(output) != "" and not Path(output).is_dir():
            return Path(output)
        if input_path is None or self.output_suffix is None:
            if output is None:
                raise UsageError(f"{self.verb}: an output path is required (--output)")
            return Path(output)
        src = Path(input_path)
        name = src.stem + self.output_suffix if src.suffix else src.name + self.output_suffix
        if output is not None and Path(output).is_dir():
            return Path(output) / name
        return src.with_name(name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "verb": self.verb,
            "summary": self.summary,
            "input": self.input,
            "output": self.output,
            "output_suffix": self.output_suffix,
            "json": self.json_flag,
            "options": [o.to_dict() for o in self.options],
            "example": self.example,
        }


_OPS: dict[str, OpSpec] = {}


def register(spec: OpSpec) -> OpSpec:
    if spec.name in _OPS:
        raise ValueError(f"operation {spec.name} registered twice")
    _OPS[spec.name] = spec
    return spec


def all_ops() -> list[OpSpec]:
    _load_catalog()
    return list(_OPS.values())


def get(name: str) -> OpSpec:
    """Look up an operation by contract name (to_image) or CLI verb (to-image)."""
    _load_catalog()
    key = name.strip().replace("-", "_")
    try:
        return _OPS[key]
    except KeyError:
        known = ", ".join(sorted(_OPS))
        raise UsageError(f"unknown operation {name!r} (known: {known})") from None


def call(spec: OpSpec, input_path: str | Path | None, output: Path | None, options: dict) -> Any:
    """Run an operation with already-resolved arguments."""
    kwargs = {}
    for opt in spec.options:
        kwargs[opt.name] = options.get(opt.name, opt.default)
    args: list[Any] = []
    if spec.input != "none":
        args.append(Path(input_path) if input_path is not None else None)
    if spec.output != "display":
        args.append(output)
    return spec.function()(*args, **kwargs)


def _load_catalog() -> None:
    if not _OPS:
        importlib.import_module("dicom_tools.catalog")


def execute(
    spec: OpSpec,
    input_path: str | Path | None,
    output: str | Path | None,
    options: dict[str, Any] | None = None,
) -> Any:
    """Check the input, coerce options, infer the output and run the operation.

    This is the one entry every front end uses; it returns the operation's ``Result``.
    """
    from dicom_tools.io import check_input_file

    opts = coerce_options(spec, options or {})[0]
    if spec.input_optional and (input_path is None or str(input_path) == ""):
        return call(spec, None, None, opts)  # the operation decides what it needs
    if spec.input == "file":
        if input_path is None or str(input_path) == "":
            raise UsageError(f"{spec.verb}: an input file is required")
        check_input_file(input_path)
    elif spec.input == "directory" and (input_path is None or not Path(input_path).is_dir()):
        raise UsageError(f"{spec.verb}: {input_path}: not a directory")
    out = spec.infer_output(input_path, output)
    if out is not None and input_path is not None and out.resolve() == Path(input_path).resolve():
        raise UsageError(f"{spec.verb}: output {out} would overwrite the input")
    return call(spec, input_path, out, opts)


def coerce_options(spec: OpSpec, raw: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Map request options (any accepted spelling) to typed values; also return unknown keys."""
    by_key = {k: o for o in spec.options for k in o.spellings()}
    out: dict[str, Any] = {}
    unknown: list[str] = []
    for key, value in raw.items():
        opt = by_key.get(str(key).replace("-", "_"))
        if opt is None:
            unknown.append(str(key))
            continue
        out[opt.name] = opt.coerce(value)
    return out, unknown
