"""The instance store: DICOM instances kept once each, on disk, with an index to query them.

Used by the web server (REST API and DICOMweb), and later by the DIMSE server and batch.
Conformance decisions, each with its place in the standard:

- Instances are keyed by SOP Instance UID; the same bytes stored twice are stored once, other
  bytes under a stored UID are refused (``StoreConflict``; STOW-RS reports it with failure
  reason 0xA770-class "already exists with different content", PS3.18 10.5.3).
- Blobs are named by the SHA-256 of the UID (``blobs``), never by anything a client sent.
- The index keeps the attributes of PS3.18 Table 6.7.1-1 (QIDO-RS matching keys) and
  6.7.1-2 (return keys) at patient, study, series and instance level (``attributes``), and
  matches them with the rules of PS3.4 C.2.2.2 (``matching``).
- SQLite in WAL mode under the data directory by default, PostgreSQL by URL (several
  processes, one index and one blob directory); the schema is versioned and migrated at open
  (``index``); ingest is atomic and idempotent, and opening recovers from a crash (``core``).

SQLAlchemy is imported with this package: nothing on the command line's header path imports it.
"""

from dicom_tools.store.attributes import LEVELS
from dicom_tools.store.core import (
    InstanceRecord,
    Recovery,
    Store,
    StoreConflict,
    Stored,
    default_data_dir,
)

__all__ = [
    "LEVELS",
    "InstanceRecord",
    "Recovery",
    "Store",
    "StoreConflict",
    "Stored",
    "default_data_dir",
]
