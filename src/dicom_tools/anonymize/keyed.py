"""Replacement values derived from the originals with a keyed hash (HMAC-SHA256).

The same key and the same original give the same replacement in every file and every run, so a
study anonymized file by file stays one study, and references between objects still resolve.
Without the key the replacements cannot be reversed or recomputed (unlike a plain hash, which a
dictionary of likely IDs would undo: PS3.15 E.1.1 note 3).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from pathlib import Path

from dicom_tools.errors import UsageError, option

DICOM_ROOT = "1.2.840.10008."  # every UID under it is defined by the standard, never an instance

# A replaced date lies 1 to 10 years before the original: whole days, so times of day and
# intervals survive (PS3.15 E.3.6 notes 3 and 4).
SHIFT_MIN_DAYS, SHIFT_SPAN_DAYS = 365, 3288


def load_key(key: str | None = None, key_file: str | Path | None = None) -> bytes | None:
    """The secret from ``--key`` or ``--key-file`` (None when neither is given)."""
    if key is not None and key_file is not None:
        raise UsageError(f"give either {option('key')} or {option('key_file')}, not both")
    if key is not None:
        if not key.strip():
            raise UsageError(f"{option('key')} is empty")
        return key.encode("utf-8")
    if key_file is None:
        return None
    path = Path(key_file)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise UsageError(f"{option('key_file', str(path))}: no such file") from None
    except IsADirectoryError:
        raise UsageError(f"{option('key_file', str(path))}: is a directory") from None
    except OSError as exc:
        raise UsageError(
            f"{option('key_file', str(path))}: cannot read it ({exc.strerror or exc})"
        ) from None
    data = data.strip()
    if not data:
        raise UsageError(f"{option('key_file', str(path))}: the file is empty")
    return data


def random_key() -> bytes:
    return secrets.token_bytes(32)


def check_uid_root(root: str) -> str:
    root = root.strip().rstrip(".")
    if not re.fullmatch(r"(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*", root) or len(root) > 40:
        raise UsageError(f"UID root {root!r}: expected dotted numbers, at most 40 characters")
    return root


class KeyedHasher:
    """UIDs, pseudonyms and date offsets from one secret key."""

    def __init__(self, key: bytes, uid_root: str | None = None) -> None:
        self._key = key
        self.uid_root = check_uid_root(uid_root) if uid_root else None
        self._uids: dict[str, str] = {}

    def digest(self, purpose: str, value: str) -> bytes:
        msg = purpose.encode() + b"\0" + value.encode("utf-8", "surrogateescape")
        return hmac.new(self._key, msg, hashlib.sha256).digest()

    def uid(self, original: str) -> str:
        """The replacement of a UID: ``2.25.<128-bit integer>`` or ``<root>.<integer>``."""
        new = self._uids.get(original)
        if new is None:
            number = int.from_bytes(self.digest("uid", original)[:16], "big")
            if self.uid_root is None:
                new = f"2.25.{number}"
            else:
                digits = min(39, 64 - len(self.uid_root) - 1)
                new = f"{self.uid_root}.{number % 10**digits or 1}"
            self._uids[original] = new
        return new

    def pseudonym(self, purpose: str, value: str, length: int = 16) -> str:
        return self.digest(purpose, value).hex()[:length].upper()

    def day_offset(self, patient_id: str) -> int:
        """Days to add to every date of this patient (negative)."""
        number = int.from_bytes(self.digest("date-shift", patient_id)[:8], "big")
        return -(SHIFT_MIN_DAYS + number % SHIFT_SPAN_DAYS)


def is_well_known(uid: str) -> bool:
    """Whether a UID is defined by the standard (or known to pydicom): never replaced."""
    from pydicom.uid import UID_dictionary

    return uid.startswith(DICOM_ROOT) or uid in UID_dictionary
