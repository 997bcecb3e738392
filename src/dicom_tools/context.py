"""What varies per call travels in a ``Context``, never in process-wide state.

A server runs many operations at once, so nothing about one call (where warnings go, which
device computes, which secret key de-identifies, whether outputs may be replaced) may live in a
module global. ``registry.execute`` takes a ``Context`` (the defaults when none is given) and
hands it to the operations whose spec says ``takes_context``.

Options in messages. Errors, warnings and result texts name options with ``errors.option``;
exceptions reach the front end, which spells them (``exc.render("cli")``), and ``execute``
spells the warnings and the returned ``Result`` in ``Context.style``: ``--window-width`` for
the command line, ``window_width`` for every other caller.

Warnings. ``execute`` records the warnings raised during the call (``warnings.catch_warnings``)
and hands each to ``Context.on_warning``; by default they are dropped, as the command line has
always done (``--debug`` shows them). An operation's own warnings (anonymize's about its key
or burned-in text) stay in its ``Result``, where the command line prints them, and go to
``on_warning`` too, so a server can log them. Nothing is filtered process-wide any more. The
catch is per call; on Python < 3.14 ``catch_warnings`` still swaps the ``warnings`` module's filters
while the call runs, so a threaded server should run operations in worker processes (which it
does anyway for CPU-bound work) or on 3.14's context-aware warnings.

pydicom's configuration. Reading is lenient, as dcmtk's is: bad values are reported by
``validate``, not on every read. pydicom only offers that as a global setting, so ``io`` sets it
once, the first time it imports pydicom (``io._pydicom``), and never changes it per call: a
constant of this process, not per-call state.

What else is process-wide, and why it may be: the catalog (``registry._OPS``, filled once when
the catalog is imported, read-only after); memos of facts that no call can change, the data
dictionary's lookups (``dicom.dictionary``, ``dump.layout``, ``dump.stream``, ``dicom.syntaxes``),
the Annex E table (``anonymize.profile``, copied before a call adds its own overrides), which
codecs are installed (``dicom.codecs``), the standard's tables for ``validate`` (kept on disk in
``$DICOM_TOOLS_CACHE``: a location, what it holds is the same in any folder); and
``imaging.modality``'s per-data-set resolvers, facts of one data set object, dropped with it.
The environment is read by the command line alone (``$DICOM_TOOLS_DEVICE`` into ``device``),
apart from that cache location; a test keeps it so.
"""

from __future__ import annotations

# Imported by every command: a plain class, no dataclasses or typing at run time (start-up).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable


def _drop(_message: str) -> None:
    return None


class Context:
    """Per-call settings; every field has a default, so ``Context()`` is a valid context.

    - ``on_warning`` receives each warning raised during the call, as one line of text;
    - ``device``: array backend for pixel operations ("cpu", "gpu", "auto"); None = the
      operation's default;
    - ``key``: secret key for keyed operations (de-identification); None = the operation's
      default (never shown by ``repr``);
    - ``overwrite``: whether an existing output file may be replaced;
    - ``caller``: who is calling, for messages and logs: "cli", "contract", "api", "web", ...

    Immutable, compared and hashed by its fields, as the frozen dataclass it replaces.
    """

    __slots__ = ("caller", "device", "key", "on_warning", "overwrite")

    def __init__(
        self,
        on_warning: Callable[[str], None] = _drop,
        device: str | None = None,
        key: str | None = None,
        overwrite: bool = True,
        caller: str = "api",
    ) -> None:
        set_ = object.__setattr__
        set_(self, "on_warning", on_warning)
        set_(self, "device", device)
        set_(self, "key", key)
        set_(self, "overwrite", overwrite)
        set_(self, "caller", caller)

    def _fields(self) -> tuple:
        return (self.on_warning, self.device, self.key, self.overwrite, self.caller)

    def __reduce__(self) -> tuple:  # pickled (to worker processes) by its fields
        return (type(self), self._fields())

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"cannot assign to field {name!r}")  # as a frozen dataclass

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r}")

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._fields() == other._fields()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:  # the key stays out of logs
        return (
            f"Context(on_warning={self.on_warning!r}, device={self.device!r}, "
            f"overwrite={self.overwrite!r}, caller={self.caller!r})"
        )

    def replace(self, **changes: object) -> Context:
        """A copy with some fields changed (``dataclasses.replace`` for this class)."""
        fields = dict(zip(self.__slots__, (getattr(self, n) for n in self.__slots__), strict=True))
        unknown = set(changes) - set(fields)
        if unknown:
            raise TypeError(f"Context has no field(s) {', '.join(sorted(unknown))}")
        return type(self)(**{**fields, **changes})  # type: ignore[arg-type]

    @property
    def style(self) -> str:
        """How this caller spells options (``errors.render``): "cli" or "api"."""
        return "cli" if self.caller == "cli" else "api"


DEFAULT = Context()
