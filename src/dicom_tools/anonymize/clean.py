"""Cleaning free text (the C action on descriptors and patient characteristics).

PS3.15 E.3.5 leaves the manner of cleaning to the de-identifier. Ours: every identifying value
the same data set holds elsewhere (names and their components, IDs, institution, station and
device names, dates, ages: the values of listed attributes of text VRs) is cut out of the text
wherever it occurs, case-insensitively, and so is anything written like a date. What remains is
the descriptive text. Identifying text that appears nowhere else in the data set (a name typed
only into a description) cannot be recognised this way; Clean Descriptors does not promise it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from pydicom.multival import MultiValue

from dicom_tools.dicom.vr import CHARSET_TEXT

REDACTED = "***"
TERM_VRS = frozenset({"PN", "LO", "SH", "AE", "DA", "DT", "AS"})
TEXT_VRS = CHARSET_TEXT  # free text in the Specific Character Set

# Dates as people type them: 20240131, 2024-01-31, 31/01/2024, 1.31.24 ...
_DATES = (
    r"(?<!\d)(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?!\d)",
    r"(?<!\d)\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?!\d)",
    r"(?<!\d)\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}(?!\d)",
)


def _terms_of(value: str, vr: str) -> Iterable[str]:
    text = value.strip()
    if not text:
        return ()
    if vr == "PN":
        parts = re.split(r"[\^=]+", text)
        return [text, *(p.strip() for p in parts), *re.split(r"[\s\^=]+", text)]
    return [text]


class TextCleaner:
    """Removes known identifying values, and date-like strings, from free text."""

    def __init__(self, terms: Iterable[str]) -> None:
        words = sorted(
            {t for t in (s.strip() for s in terms) if len(t) >= 2}, key=len, reverse=True
        )
        patterns = [
            re.escape(w) if len(w) >= 5 else rf"(?<![0-9A-Za-z]){re.escape(w)}(?![0-9A-Za-z])"
            for w in words
        ]
        patterns.extend(_DATES)
        self._pattern = re.compile("|".join(patterns), re.IGNORECASE)

    def clean(self, text: str) -> str:
        return self._pattern.sub(REDACTED, text)

    @classmethod
    def from_dataset(cls, ds, is_term: Callable[[int], bool]) -> TextCleaner:
        """Collect terms from every element (at any depth) for which ``is_term(tag)`` holds."""
        terms: list[str] = []

        def walk(dataset) -> None:
            for elem in dataset:
                if elem.VR == "SQ":
                    for item in elem.value or ():
                        walk(item)
                elif elem.VR in TERM_VRS and is_term(elem.tag) and elem.value:
                    value = elem.value
                    values = value if isinstance(value, MultiValue | list) else [value]
                    for v in values:
                        terms.extend(_terms_of(str(v), elem.VR))

        walk(ds)
        return cls(terms)
