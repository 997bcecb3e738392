"""Running an operation for a route: through the registry, on the store's instance.

The input is ``store.source(record)`` (the registry's in-memory/path input kind), so an
operation reads the stored blob directly. Outputs that an operation can only write to a file
(``to_image``, ``anonymize``) go to a private temporary folder that is removed afterwards.
Warnings are dropped, as the command line drops them: they may quote values (PHI).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from dicom_tools import registry
from dicom_tools.context import Context
from dicom_tools.result import Result

CONTEXT = Context(caller="web")


def run(name: str, source: Any, output: str | Path | None = None, **options: Any) -> Result:
    """Run operation ``name`` on ``source`` with ``options`` (contract names), as ``execute``."""
    options = {k: v for k, v in options.items() if v is not None}
    return registry.execute(registry.get(name), source, output, options, context=CONTEXT)  # type: ignore[no-any-return]


@contextmanager
def scratch() -> Iterator[Path]:
    """A private temporary folder for an operation's output file, removed on exit."""
    with tempfile.TemporaryDirectory(prefix="dicom-tools-web-") as folder:
        yield Path(folder)
