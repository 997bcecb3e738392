"""What varies per call travels in a ``Context``, never in process-wide state.

A server runs many operations at once, so nothing about one call (where warnings go, which
device computes, which secret key de-identifies, whether outputs may be replaced) may live in a
module global. ``registry.execute`` takes a ``Context`` (the defaults when none is given) and
hands it to the operations whose spec says ``takes_context``.

Warnings. ``execute`` records the warnings raised during the call (``warnings.catch_warnings``)
and hands each to ``Context.on_warning``; by default they are dropped, as the command line has
always done (``--debug`` shows them). Nothing is filtered process-wide any more. The catch is
per call; on Python < 3.14 ``catch_warnings`` still swaps the ``warnings`` module's filters
while the call runs, so a threaded server should run operations in worker processes (which it
does anyway for CPU-bound work) or on 3.14's context-aware warnings.

pydicom's configuration. Reading is lenient, as dcmtk's is: bad values are reported by
``validate``, not on every read. pydicom only offers that as a global setting, so ``io`` sets it
once, the first time it imports pydicom (``io._pydicom``), and never changes it per call: a
constant of this process, not per-call state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


def _drop(_message: str) -> None:
    return None


@dataclass(frozen=True)
class Context:
    """Per-call settings; every field has a default, so ``Context()`` is a valid context."""

    #: receives each warning raised during the call, as one line of text
    on_warning: Callable[[str], None] = field(default=_drop)
    #: array backend for pixel operations ("cpu", "gpu", "auto"); None = the operation's default
    device: str | None = None
    #: secret key for keyed operations (de-identification); None = the operation's default
    key: str | None = field(default=None, repr=False)
    #: whether an existing output file may be replaced
    overwrite: bool = True
    #: who is calling, for messages and logs: "cli", "contract", "api", "web", ...
    caller: str = "api"


DEFAULT = Context()
