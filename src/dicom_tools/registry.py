"""The operation registry: every operation is declared once, here.

Front ends (CLI, contract, web, batch) are generated from these specs or dispatch through them.
Functions are named as ``"module:function"`` strings and imported only when the operation runs,
so ``dicom-tools info`` never pays for Pillow, pynetdicom or a web stack.

Importing this module and the catalog is part of every start-up (``dicom-tools --help`` lists
the catalog), so both stay on the cheapest imports: plain slotted classes instead of
dataclasses, and pathlib, the context and the I/O helpers imported only by ``execute``.

Inputs. An operation whose input kind is ``"file"`` runs on a path or on an instance held in
memory: a ``Source`` (``dicom_tools.dicom.source``), Part 10 ``bytes``, or a pydicom
``Dataset``. Operations whose spec says ``memory_ok`` (every file operation of the catalog)
receive a ``Source``, for a file too, and read it without a temp file; an operation without it
takes a ``Path`` and refuses an in-memory input.
"""

from __future__ import annotations

import sys

from dicom_tools.errors import UsageError, option

# typing costs start-up time; annotations are strings here (PEP 563)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path
    from typing import Any, Literal

    from dicom_tools.context import Context
    from dicom_tools.dicom.source import Source

    InputKind = Literal["file", "directory", "none"]
    OutputKind = Literal["file", "directory", "display"]
    OptionType = Literal["bool", "int", "float", "str", "path"]

_PY_TYPES: dict[str, Callable[[str], Any]] = {"int": int, "float": float, "str": str, "path": str}


class _Frozen:
    """Immutable slotted record: equality, hashing and repr over its slots."""

    __slots__ = ()

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def _set(self, **values: Any) -> None:
        for k, v in values.items():
            object.__setattr__(self, k, v)

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, k) for k in self.__slots__)

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other._values() == self._values()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(tuple(v if not isinstance(v, dict) else id(v) for v in self._values()))

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={getattr(self, k)!r}" for k in self.__slots__)
        return f"{type(self).__name__}({fields})"


class Option(_Frozen):
    """One option of an operation. ``name`` is the contract key (underscores)."""

    __slots__ = (
        "aliases",
        "choices",
        "default",
        "exclusive_minimum",
        "help",
        "maximum",
        "metavar",
        "minimum",
        "name",
        "nargs",
        "one_output",
        "positional",
        "repeat",
        "short",
        "split",
        "type",
    )

    def __init__(
        self,
        name: str,
        type: OptionType,
        default: Any = None,
        help: str = "",
        choices: tuple[str, ...] | None = None,
        aliases: tuple[str, ...] = (),  # extra CLI flags, e.g. ("--syntax",)
        short: str | None = None,  # e.g. "-v"
        metavar: str | tuple[str, ...] | None = None,
        nargs: int | None = None,  # e.g. 2 for "--range LO HI"; the value is then a list
        positional: bool = False,  # a CLI positional argument (echo's HOST:PORT)
        repeat: bool = False,  # may be given several times; the value is then a list
        split: bool = False,  # a repeated value may also be a comma list: --keep A,B
        minimum: float | None = None,  # numeric range, checked by every front end (coerce)
        maximum: float | None = None,
        exclusive_minimum: bool = False,  # the minimum itself is refused (a width > 0)
        one_output: bool = False,  # names one output file: refused with several inputs
    ) -> None:
        self._set(
            name=name,
            type=type,
            default=default,
            help=help,
            choices=choices,
            aliases=aliases,
            short=short,
            metavar=metavar,
            nargs=nargs,
            positional=positional,
            repeat=repeat,
            split=split,
            minimum=minimum,
            maximum=maximum,
            exclusive_minimum=exclusive_minimum,
            one_output=one_output,
        )

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
            if self.split:  # --keep A,B is --keep A --keep B
                values = [p for v in values for p in (v.split(",") if isinstance(v, str) else [v])]
                values = [v.strip() if isinstance(v, str) else v for v in values]
                values = [v for v in values if v != ""]
            return [self._coerce_one(v) for v in values]
        if self.nargs:
            if not isinstance(value, list | tuple) or len(value) != self.nargs:
                raise UsageError(
                    f"option {option(self.name)}: expected a list of {self.nargs} values"
                )
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
            if self.type in ("int", "float") and isinstance(value, bool):
                raise ValueError(value)  # JSON true is not the number 1
            if self.type == "int" and isinstance(value, float) and not value.is_integer():
                raise ValueError(value)
            if self.type in ("str", "path") and not isinstance(value, str | int | float):
                raise ValueError(value)  # a JSON object or list is not a name
            converted = _PY_TYPES[self.type](value)
        except (TypeError, ValueError, OverflowError):
            raise UsageError(
                f"option {option(self.name)}: expected {self.type}, got {_short(value)}"
            ) from None
        if self.type in ("int", "float"):
            self.check_range(converted)
        if self.choices and converted not in self.choices:
            raise UsageError(
                f"option {option(self.name)}: {converted!r} is not one of "
                + ", ".join(self.choices)
            )
        return converted

    def check_range(self, value: float) -> None:
        """Refuse a number outside this option's declared range (or not finite)."""
        import math

        if not math.isfinite(value):
            raise UsageError(f"option {option(self.name)}: expected a finite number, got {value}")
        low, high = self.minimum, self.maximum
        below = low is not None and (value <= low if self.exclusive_minimum else value < low)
        if below or (high is not None and value > high):
            raise UsageError(
                f"option {option(self.name)}: {value} is out of range ({self.range_text()})"
            )

    def range_text(self) -> str:
        """The declared range in words: "1 to 65536", ">= 0", "> 0"."""
        low, high = self.minimum, self.maximum
        if low is not None and high is not None and not self.exclusive_minimum:
            return f"{_num(low)} to {_num(high)}"
        parts = []
        if low is not None:
            parts.append(f"{'>' if self.exclusive_minimum else '>='} {_num(low)}")
        if high is not None:
            parts.append(f"<= {_num(high)}")
        return ", ".join(parts)

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
        if self.minimum is not None:
            d["exclusiveMinimum" if self.exclusive_minimum else "minimum"] = self.minimum
        if self.maximum is not None:
            d["maximum"] = self.maximum
        return d


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _short(value: Any) -> str:
    """A value for an error message, cut short (a request may hold anything)."""
    try:
        text = repr(value)
    except RecursionError:
        return type(value).__name__
    return text if len(text) <= 60 else text[:57] + "..."


class OpSpec(_Frozen):
    """An operation: its name, what it takes and gives, its options and where its code lives."""

    __slots__ = (
        "description",
        "example",
        "extra",
        "func",
        "input",
        "input_help",
        "input_optional",
        "json_flag",
        "memory_ok",
        "name",
        "options",
        "output",
        "output_suffix",
        "stdout_ok",
        "suffix_from",
        "summary",
        "takes_context",
    )

    def __init__(
        self,
        name: str,  # contract name, underscores: to_image
        summary: str,
        func: str,  # "package.module:function", imported lazily
        input: InputKind,
        output: OutputKind,
        options: tuple[Option, ...] = (),
        output_suffix: str | None = None,  # inferred output: <stem><suffix>
        # "module:function" giving the suffix from the coerced options instead (transcode's
        # depends on the target syntax), imported only when an output is inferred
        suffix_from: str | None = None,
        json_flag: bool = False,  # front ends offer --json to print ``Result.data`` as JSON
        stdout_ok: bool = False,  # "-o -" streams the output to stdout
        example: str = "",
        description: str = "",
        input_help: str = "input DICOM file",
        input_optional: bool = False,  # e.g. `transcode --list` runs without an input
        memory_ok: bool = False,  # the function takes a Source (file or in-memory instance)
        takes_context: bool = False,  # the function takes ``context=Context``
        extra: dict[str, Any] | None = None,
    ) -> None:
        self._set(
            name=name,
            summary=summary,
            func=func,
            input=input,
            output=output,
            options=options,
            output_suffix=output_suffix,
            suffix_from=suffix_from,
            json_flag=json_flag,
            stdout_ok=stdout_ok,
            example=example,
            description=description,
            input_help=input_help,
            input_optional=input_optional,
            memory_ok=memory_ok,
            takes_context=takes_context,
            extra={} if extra is None else extra,
        )

    @property
    def verb(self) -> str:
        return self.name.replace("_", "-")

    def function(self) -> Callable[..., Any]:
        module, _, attr = self.func.partition(":")
        __import__(module)  # importlib would be one more module on every command's start-up
        return getattr(sys.modules[module], attr)

    def option(self, name: str) -> Option | None:
        return next((o for o in self.options if o.name == name), None)

    def suffix(self, options: dict[str, Any] | None = None) -> str | None:
        """The inferred output's suffix for these (coerced) options."""
        if self.suffix_from is None or options is None:
            return self.output_suffix
        import importlib

        module, _, attr = self.suffix_from.partition(":")
        return getattr(importlib.import_module(module), attr)(options)

    def infer_output(
        self,
        input_path: str | Path | None,
        output: str | Path | None,
        options: dict[str, Any] | None = None,
    ) -> Path | None:
        """The output path as the contract defines it; ``None`` means stdout (``-o -``).
        ``options`` (coerced) choose the suffix where the spec says ``suffix_from``."""
        if self.output == "display":
            return None

        if output is not None and str(output) == "-":
            if not self.stdout_ok:
                raise UsageError(
                    f"{self.verb}: cannot write its output to stdout "
                    f"('{option('output', '-', flag='-o')}')"
                )
            return None
        from pathlib import Path  # not on the header path (display ops, "-o -")

        if output is not None and str(output) != "" and not Path(output).is_dir():
            return Path(output)
        suffix = self.suffix(options) if input_path is not None else None
        if suffix is None:
            if output is None:
                raise UsageError(f"{self.verb}: an output path is required ({option('output')})")
            return Path(output)
        src = Path(input_path)  # type: ignore[arg-type]
        name = src.stem + suffix if src.suffix else src.name + suffix
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


def find(name: str) -> OpSpec | None:
    """The operation called ``name`` (contract name or CLI verb), or None."""
    _load_catalog()
    return _OPS.get(name.strip().replace("-", "_"))


def get(name: str) -> OpSpec:
    """Look up an operation by contract name (to_image) or CLI verb (to-image)."""
    spec = find(name)
    if spec is None:
        known = ", ".join(sorted(_OPS))
        raise UsageError(f"unknown operation {name!r} (known: {known})")
    return spec


def _load_catalog() -> None:
    if not _OPS:
        import dicom_tools.catalog  # noqa: F401  (registers every operation)


def call(
    spec: OpSpec,
    input_path: Any,
    output: Path | None,
    options: dict,
    context: Context | None = None,
) -> Any:
    """Run an operation with already-resolved arguments (a Path or a Source as input)."""
    kwargs = {}
    for opt in spec.options:
        kwargs[opt.name] = options.get(opt.name, opt.default)
    if spec.takes_context:
        from dicom_tools.context import DEFAULT

        kwargs["context"] = context or DEFAULT
    args: list[Any] = []
    if spec.input != "none":
        if input_path is None or _is_source(input_path):
            args.append(input_path)
        else:
            from pathlib import Path

            args.append(Path(input_path))
    if spec.output != "display":
        args.append(output)
    return spec.function()(*args, **kwargs)


def execute(
    spec: OpSpec,
    input: Any,
    output: str | Path | None,
    options: dict[str, Any] | None = None,
    *,
    context: Context | None = None,
) -> Any:
    """Check the input, coerce options, infer the output and run the operation.

    This is the one entry every front end uses; it returns the operation's ``Result``.
    ``input`` is a path, or for a file operation an in-memory instance: a ``Source``, Part 10
    ``bytes`` or a pydicom ``Dataset``. Warnings raised during the call go to
    ``context.on_warning`` (see ``dicom_tools.context``); they and the result name options in
    ``context.style``. Errors keep their option markers: the front end spells them.
    """
    return Runner(spec, options, context)(input, output)


class Runner:
    """``execute`` for one input after another: the options are checked and the context made
    once (a command given many files, batch), each call then runs on its input as ``execute``
    does. A bad option raises here, before any input is touched."""

    __slots__ = ("context", "options", "spec", "style")

    def __init__(
        self, spec: OpSpec, options: dict[str, Any] | None = None, context: Context | None = None
    ) -> None:
        from dicom_tools.context import DEFAULT
        from dicom_tools.errors import render

        self.spec = spec
        self.options = coerce_options(spec, options or {})[0]
        outer = context or DEFAULT
        self.style = style = outer.style

        def on_warning(message: str) -> None:
            outer.on_warning(render(message, style))

        self.context = outer.replace(on_warning=on_warning)

    def __call__(self, input: Any, output: str | Path | None = None) -> Any:
        import warnings

        ctx = self.context
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                return _execute(self.spec, input, output, self.options, ctx).spelled(self.style)
            finally:
                for w in caught:
                    ctx.on_warning(f"{w.category.__name__}: {w.message}")


def _execute(
    spec: OpSpec, input: Any, output: str | Path | None, options: dict[str, Any], ctx: Context
) -> Any:
    from dicom_tools.io import check_input

    opts = options  # coerced by the Runner
    src = as_source(input)
    if spec.input_optional and src is None:
        return call(spec, None, None, opts, ctx)  # the operation decides what it needs
    if spec.input == "file":
        if src is None:
            raise UsageError(f"{spec.verb}: an input file is required")
        check_input(src)
    elif spec.input == "directory":
        if src is not None and src.in_memory:
            raise UsageError(f"{spec.verb}: takes a directory, not an in-memory instance")
        if src is None or not src.path.is_dir():  # type: ignore[union-attr]
            raise UsageError(f"{spec.verb}: {input}: not a directory")
    elif spec.input == "none":
        src = None
    if spec.output == "display":  # nothing to infer (and no pathlib on the header path)
        out = None
    elif src is not None and src.in_memory:
        # No folder to put an inferred output beside: an output folder or path must be given.
        from pathlib import Path

        named = output is not None and str(output) not in ("", "-") and Path(output).is_dir()
        out = spec.infer_output(Path(_safe_name(src.name)) if named else None, output, opts)
    else:
        out = spec.infer_output(src.filename if src else None, output, opts)
        if out is not None and src is not None and out.resolve() == src.path.resolve():  # type: ignore[union-attr]
            raise UsageError(f"{spec.verb}: output {out} would overwrite the input")
    if src is None:
        return call(spec, None, out, opts, ctx)
    if spec.memory_ok:
        return call(spec, src, out, opts, ctx)
    if src.path is None:
        raise UsageError(f"{spec.verb}: takes a file path, not an in-memory instance")
    return call(spec, src.path, out, opts, ctx)


def _safe_name(name: str) -> str:
    """A file name to infer outputs from for an instance held in memory: the last part of its
    name, with only letters, digits, '.', '_' and '-' ("instance" when nothing is left, as for
    the default "<memory>"); never a path a caller could point elsewhere."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    safe = "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "_" for c in base)
    safe = safe.strip("._")
    return safe if safe and base != "<memory>" else "instance"


def as_source(value: Any) -> Source | None:
    """A ``Source`` for a path, bytes, a pydicom Dataset or a Source; None for no input."""
    from dicom_tools.dicom.source import Source

    if value is None or isinstance(value, Source):
        return value
    if isinstance(value, bytes | bytearray | memoryview):
        return Source.from_bytes(value)
    ds_type = getattr(sys.modules.get("pydicom"), "Dataset", None)
    if ds_type is not None and isinstance(value, ds_type):
        return Source.from_dataset(value, getattr(value, "filename", None) or "<memory>")
    if str(value) == "":
        return None
    return Source.from_path(value)


def _is_source(value: Any) -> bool:
    mod = sys.modules.get("dicom_tools.dicom.source")
    return mod is not None and isinstance(value, mod.Source)


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
