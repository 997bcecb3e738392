"""The Store: blobs on disk and their index, ingest, lookup, queries and start-up recovery.

Ingest, in this order, so that a crash anywhere leaves no index row without its whole blob:
1. read the indexed attributes (refusing what is not a Part 10 instance with its UIDs);
2. write the bytes to a temp file in the blob dir and fsync it;
3. in one transaction: insert the study and series rows (if new) and the instance row, whose
   primary key (the SOP Instance UID) claims the UID: a concurrent ingest of the same UID in
   another process waits on that key; with the claim held, rename the temp file onto the
   blob's path; commit; fsync the blob's folder;
4. if the insert finds the UID indexed already (now, or by another process meanwhile): the
   same bytes (SHA-256) are a no-op (``created=False``), other bytes a ``StoreConflict``, the
   stored blob untouched, the temp file removed. (The claim is the insert itself, not a look-up
   first: one query fewer per new instance, the common case; a resend pays a temp write.)
SQLite allows one writer at a time: the threads of one process take turns on a lock before
their transaction rather than meet SQLite's busy handler, which sleeps for milliseconds.
A crash before the commit leaves a whole blob without a row (or a temp file): recovery at the
next open indexes it again. Recovery runs when a process opens the store while no other
process has it open (an exclusive ``flock`` on ``store.lock``; every open store holds a
shared one), so it never takes another process's temp file for a stray.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import threading
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import Engine, create_engine, event, select
from sqlalchemy.exc import IntegrityError

from dicom_tools.dicom.source import Source
from dicom_tools.errors import DicomToolsError, InputError, UsageError
from dicom_tools.store.attributes import ATTRIBUTES, BY_KEYWORD, COMPUTED, levels_up_to
from dicom_tools.store.blobs import TEMP_SUFFIX, Blobs, instance_id, is_id, uid_hash
from dicom_tools.store.extract import Extracted, extract
from dicom_tools.store.index import build_query, counts, instances, migrate, studies
from dicom_tools.store.index import series as series_table


class StoreConflict(DicomToolsError):
    """An instance with this SOP Instance UID is stored already, with other content."""

    category = "conflict"

    def __init__(self, message: str, sop_instance_uid: str) -> None:
        super().__init__(message)
        self.sop_instance_uid = sop_instance_uid


@dataclass(frozen=True)
class InstanceRecord:
    id: str
    sop_instance_uid: str
    sop_class_uid: str | None
    series_instance_uid: str
    study_instance_uid: str
    patient_id: str | None
    transfer_syntax: str
    size: int
    sha256: str
    instance_number: int | None
    rows: int | None
    columns: int | None
    number_of_frames: int | None


@dataclass(frozen=True)
class Stored:
    record: InstanceRecord
    created: bool


@dataclass
class Recovery:
    """What the last start-up recovery found and did."""

    ran: bool = False
    temp_removed: int = 0
    reindexed: int = 0
    blobs_removed: int = 0
    rows_dropped: int = 0
    details: list[str] = field(default_factory=list)


_RECORD_COLUMNS = (
    instances.c.id,
    instances.c.SOPInstanceUID,
    instances.c.SOPClassUID,
    instances.c.SeriesInstanceUID,
    instances.c.StudyInstanceUID,
    studies.c.PatientID,
    instances.c.transfer_syntax,
    instances.c.size,
    instances.c.sha256,
    instances.c.InstanceNumber,
    instances.c.Rows,
    instances.c.Columns,
    instances.c.NumberOfFrames,
)
_RECORD_FROM = instances.outerjoin(
    studies, instances.c.StudyInstanceUID == studies.c.StudyInstanceUID
)


def default_data_dir() -> Path:
    """The user's data directory: $XDG_DATA_HOME/dicom-tools or ~/.local/share/dicom-tools."""
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local/share")
    return Path(base) / "dicom-tools"


def _engine(data_dir: Path, database_url: str | None) -> Engine:
    if database_url is None:
        database_url = f"sqlite:///{data_dir / 'index.sqlite'}"
    if database_url.startswith(("postgresql://", "postgres://")):
        database_url = "postgresql+psycopg://" + database_url.split("://", 1)[1]
    if database_url.startswith("sqlite"):
        engine = create_engine(
            database_url, connect_args={"timeout": 60, "check_same_thread": False}
        )

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            # NORMAL in WAL mode survives a process crash; a power loss may lose the last
            # commits, whose blobs recovery then indexes again.
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA case_sensitive_like=ON")  # matching is case-sensitive but PN
            cur.close()

        return engine
    try:
        return create_engine(database_url, pool_pre_ping=True)
    except Exception as exc:  # no driver, a malformed URL
        raise UsageError(f"database URL cannot be used: {exc}") from None


class Store:
    """Instances stored once each under ``data_dir``, indexed in SQLite or PostgreSQL."""

    def __init__(self, data_dir: Path, engine: Engine) -> None:
        self.data_dir = data_dir
        self.engine = engine
        self.blobs = Blobs(data_dir / "blobs")
        self.recovery = Recovery()
        self._lock_fd: int | None = None
        # one writing transaction at a time in this process (SQLite's rule anyway: see above)
        self._write_turn: Any = (
            threading.Lock() if engine.dialect.name == "sqlite" else nullcontext()
        )
        # (study, series) UIDs whose rows this process saw committed: their inserts are
        # skipped (two statements, two PostgreSQL round trips per instance). It cannot go
        # stale: rows are deleted only by start-up recovery, which runs when no process
        # (this one included) has the store open.
        self._known: set[tuple[str, str]] = set()

    # --- opening ---------------------------------------------------------------------------

    @classmethod
    def open(
        cls, data_dir: str | os.PathLike[str] | None = None, database_url: str | None = None
    ) -> Store:
        """Open (creating and migrating as needed) the store in ``data_dir``; runs start-up
        recovery when no other process has it open."""
        path = Path(data_dir) if data_dir is not None else default_data_dir()
        path.mkdir(parents=True, exist_ok=True)
        store = cls(path, _engine(path, database_url))
        try:
            store._lock_fd = os.open(path / "store.lock", os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(store._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                alone = True
            except BlockingIOError:
                alone = False
            if alone:
                migrate(store.engine)
                store.recover()
                fcntl.flock(store._lock_fd, fcntl.LOCK_SH)
            else:
                fcntl.flock(store._lock_fd, fcntl.LOCK_SH)  # waits for a recovery under way
                migrate(store.engine)
        except BaseException:
            store.close()
            raise
        return store

    def close(self) -> None:
        self.engine.dispose()
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # releases the shared lock
            self._lock_fd = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # --- ingest ----------------------------------------------------------------------------

    def ingest(
        self,
        data: bytes | str | os.PathLike[str] | BinaryIO,
        *,
        name: str | None = None,
        info: Extracted | None = None,
    ) -> Stored:
        """Store one Part 10 instance (bytes, a file's path, or a binary stream); ``name``
        names it in error messages; ``info``: what ``inspect`` read of these very bytes (so
        a caller that looked first does not pay for a second read). See the module's
        docstring for the steps."""
        temp: Path | None = None
        try:
            if isinstance(data, bytes | bytearray | memoryview):
                data = bytes(data)
                if info is None:
                    info = self.inspect(data, name=name)
                sha = hashlib.sha256(data).hexdigest()
                temp, _, size = self.blobs.write_temp(data)
            elif isinstance(data, str | os.PathLike):
                if info is None:
                    info = extract(Source(name or os.fspath(data), path=os.fspath(data)))
                with open(data, "rb") as f:
                    temp, sha, size = self.blobs.write_temp(f)
            else:
                temp, sha, size = self.blobs.write_temp(data)
                if info is None:
                    info = extract(Source(name or "<stream>", path=temp))
            return self._commit(info, temp, sha, size)
        finally:
            if temp is not None:
                temp.unlink(missing_ok=True)

    @staticmethod
    def inspect(data: bytes, *, name: str | None = None) -> Extracted:
        """The indexed attributes of an instance in memory (``InputError`` when it cannot be
        stored), as ``ingest`` reads them: callers check them, then pass them to ``ingest``."""
        return extract(Source.from_bytes(data, name or "<memory>"))

    def _existing(self, uid: str, sha: str) -> Stored | None:
        record = self.get(uid)
        if record is None:
            return None
        if record.sha256 != sha:
            raise StoreConflict(
                f"an instance with SOP Instance UID {uid} is stored already, with other content",
                uid,
            )
        return Stored(record, created=False)

    def _commit(self, info: Extracted, temp: Path | None, sha: str, size: int) -> Stored:
        """Index ``info`` and place its blob (``temp``; None: the blob is in place already);
        the UID stored already is step 4 of the module's docstring."""
        v = info.values
        uid = info.sop_instance_uid
        parents = (v["StudyInstanceUID"], v["SeriesInstanceUID"])
        skipped = parents in self._known
        final = None
        try:
            with self._write_turn, self.engine.begin() as conn:
                if not skipped:
                    study_row = _row(v, "patient", "study")
                    self._insert_missing(conn, studies, "StudyInstanceUID", study_row)
                    series_row = _row(v, "series")
                    series_row["StudyInstanceUID"] = v["StudyInstanceUID"]
                    self._insert_missing(conn, series_table, "SeriesInstanceUID", series_row)
                row = _row(v, "instance")
                row.update(
                    id=instance_id(uid),
                    SeriesInstanceUID=v["SeriesInstanceUID"],
                    StudyInstanceUID=v["StudyInstanceUID"],
                    transfer_syntax=info.transfer_syntax,
                    size=size,
                    sha256=sha,
                )
                conn.execute(instances.insert(), row)  # claims the UID (or waits)
                if temp is not None:
                    final = self.blobs.place(temp, uid)
        except IntegrityError:
            if final is not None:  # the commit failed after the rename: nobody else's blob
                final.unlink(missing_ok=True)
            existing = self._existing(uid, sha)  # stored before, or meanwhile by another process
            if existing is None:
                raise
            return existing
        except BaseException:
            if final is not None:
                final.unlink(missing_ok=True)
            raise
        if final is not None:
            self.blobs.settle(final)
        if len(self._known) > 100_000:  # a bound on memory, not a correctness matter
            self._known.clear()
        self._known.add(parents)
        record = InstanceRecord(
            id=row["id"],
            sop_instance_uid=uid,
            sop_class_uid=v["SOPClassUID"],
            series_instance_uid=v["SeriesInstanceUID"],
            study_instance_uid=v["StudyInstanceUID"],
            patient_id=v["PatientID"],
            transfer_syntax=info.transfer_syntax,
            size=size,
            sha256=sha,
            instance_number=v["InstanceNumber"],
            rows=v["Rows"],
            columns=v["Columns"],
            number_of_frames=v["NumberOfFrames"],
        )
        return Stored(record, created=True)

    @staticmethod
    def _insert_missing(conn: Any, table: Any, key: str, row: dict[str, Any]) -> None:
        """Insert ``row`` unless its key is there (the first instance of a study or series
        sets its attributes)."""
        conn.execute(_insert_or_nothing(conn.dialect.name, table.name, key), row)

    # --- lookup ----------------------------------------------------------------------------

    def get(self, sop_instance_uid: str) -> InstanceRecord | None:
        return self._one(instances.c.SOPInstanceUID == sop_instance_uid)

    def by_id(self, id: str) -> InstanceRecord | None:
        """The instance of the opaque REST id (None for anything else, never a path)."""
        if not isinstance(id, str) or not is_id(id):
            return None
        return self._one(instances.c.id == id)

    def _one(self, where: Any) -> InstanceRecord | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(*_RECORD_COLUMNS).select_from(_RECORD_FROM).where(where))
            found = row.first()
        return None if found is None else InstanceRecord(*found)

    def path(self, record: InstanceRecord) -> Path:
        return self.blobs.path(record.sop_instance_uid)

    def source(self, record: InstanceRecord) -> Source:
        """The stored instance as an operation's input, named by its id."""
        return Source(record.id, path=os.fspath(self.path(record)))

    def instances(
        self, study: str | None = None, series: str | None = None
    ) -> list[InstanceRecord]:
        """The instances of a study and/or series (all without either), in series and
        instance number order."""
        stmt = (
            select(*_RECORD_COLUMNS)
            .select_from(
                _RECORD_FROM.outerjoin(
                    series_table,
                    instances.c.SeriesInstanceUID == series_table.c.SeriesInstanceUID,
                )
            )
            .order_by(
                instances.c.StudyInstanceUID,
                series_table.c.SeriesNumber,
                instances.c.SeriesInstanceUID,
                instances.c.InstanceNumber,
                instances.c.SOPInstanceUID,
            )
        )
        if study is not None:
            stmt = stmt.where(instances.c.StudyInstanceUID == study)
        if series is not None:
            stmt = stmt.where(instances.c.SeriesInstanceUID == series)
        with self.engine.connect() as conn:
            return [InstanceRecord(*row) for row in conn.execute(stmt)]

    def count(self) -> int:
        from sqlalchemy import func

        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(instances)).scalar_one()

    # --- queries ---------------------------------------------------------------------------

    def query(
        self,
        level: str,
        filters: dict[str, str] | None = None,
        *,
        study: str | None = None,
        series: str | None = None,
        limit: int | None = None,
        offset: int = 0,
        fuzzy: bool = False,
    ) -> list[dict[str, Any]]:
        """The ``level`` entries matching ``filters`` (QIDO-RS matching, see ``matching``),
        each as a DICOM JSON object of every attribute the index keeps for it."""
        if (limit is not None and limit < 0) or offset < 0:
            raise UsageError("limit and offset cannot be negative")
        stmt = build_query(level, filters, study, series, limit, offset, fuzzy)
        scope = levels_up_to(level)
        attrs = [a for lvl in scope for a in ATTRIBUTES[lvl]]
        with self.engine.connect() as conn:
            rows = conn.execute(stmt).all()
            key = {
                "patient": "PatientID",
                "study": "StudyInstanceUID",
                "series": "SeriesInstanceUID",
            }.get(level)
            extra = counts(conn, level, [r._mapping[key] for r in rows]) if key else {}
        out = []
        for row in rows:
            m = row._mapping
            values: dict[str, Any] = {a.keyword: m[a.keyword] for a in attrs}
            if level == "instance":
                values["TransferSyntaxUID"] = values["AvailableTransferSyntaxUID"] = m[
                    "transfer_syntax"
                ]
            elif key:
                values.update(extra.get(m[key], {}))
            computed = [a for a in COMPUTED[level] if a.keyword in values]
            out.append(to_json([*attrs, *computed], values))
        return out

    # --- recovery --------------------------------------------------------------------------

    def recover(self) -> Recovery:
        """Start-up recovery (only safe while no other process has the store open): remove
        temp files, index blobs that have no row (removing those that cannot be read or are
        not where their UID puts them), drop rows whose blob is gone."""
        rec = Recovery(ran=True)
        for temp in self.blobs.temp_files():
            if temp.name.endswith(TEMP_SUFFIX):
                temp.unlink(missing_ok=True)
                rec.temp_removed += 1
        with self.engine.connect() as conn:
            known = dict(conn.execute(select(instances.c.SOPInstanceUID, instances.c.id)).all())
        hashes = {uid_hash(uid): uid for uid in known}
        on_disk = set()
        for blob in self.blobs.all():
            on_disk.add(blob.name)
            if blob.name in hashes:
                continue
            try:
                info = extract(Source(f"blob {blob.name[:32]}", path=os.fspath(blob)))
                if uid_hash(info.sop_instance_uid) != blob.name:
                    raise InputError("not the instance its name says")
                with open(blob, "rb") as f:
                    sha = hashlib.file_digest(f, "sha256").hexdigest()
                self._commit(info, None, sha, blob.stat().st_size)
                rec.reindexed += 1
            except (InputError, StoreConflict) as exc:
                blob.unlink(missing_ok=True)
                rec.blobs_removed += 1
                rec.details.append(f"removed blob {blob.name[:32]}: {exc}")
        gone = [uid for h, uid in hashes.items() if h not in on_disk]
        if gone:
            with self.engine.begin() as conn:
                for start in range(0, len(gone), 500):
                    chunk = gone[start : start + 500]
                    conn.execute(instances.delete().where(instances.c.SOPInstanceUID.in_(chunk)))
                _drop_empty(conn)
            rec.rows_dropped = len(gone)
        self.recovery = rec
        return rec


_INSERTS: dict[tuple[str, str], Any] = {}


def _insert_or_nothing(dialect: str, table: str, key: str) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING for ``table``, built once (parameters come apart, so
    SQLAlchemy compiles it once)."""
    stmt = _INSERTS.get((dialect, table))
    if stmt is None:
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as dialect_insert
        else:
            from sqlalchemy.dialects.sqlite import insert as dialect_insert
        target = studies if table == "studies" else series_table
        stmt = _INSERTS[dialect, table] = dialect_insert(target).on_conflict_do_nothing(
            index_elements=[key]
        )
    return stmt


def _drop_empty(conn: Any) -> None:
    """Series and studies left without instances (their last one's blob was gone)."""
    conn.execute(
        series_table.delete().where(
            ~select(instances.c.SOPInstanceUID)
            .where(instances.c.SeriesInstanceUID == series_table.c.SeriesInstanceUID)
            .exists()
        )
    )
    conn.execute(
        studies.delete().where(
            ~select(instances.c.SOPInstanceUID)
            .where(instances.c.StudyInstanceUID == studies.c.StudyInstanceUID)
            .exists()
        )
    )


def _row(values: dict[str, Any], *levels: str) -> dict[str, Any]:
    return {a.keyword: values[a.keyword] for lvl in levels for a in ATTRIBUTES[lvl]}


def to_json(attrs: list[Any], values: dict[str, Any]) -> dict[str, Any]:
    """DICOM JSON (PS3.18 F.2) of ``values`` by keyword: every attribute present, with its
    ``Value`` when it has one; PN as component-group objects; sorted by tag."""
    out: dict[str, Any] = {}
    for attr in sorted(attrs, key=lambda a: a.tag):
        value = values.get(attr.keyword)
        element: dict[str, Any] = {"vr": attr.vr}
        if value is not None and value != "" and value != []:
            if isinstance(value, list):
                items: list[Any] = value
            elif isinstance(value, int):
                items = [value]
            else:
                items = value.split("\\")
            if attr.vr == "PN":
                items = [_person_name(v) for v in items]
            element["Value"] = items
        out[attr.hex] = element
    return out


def _person_name(text: str) -> dict[str, str]:
    groups = dict(zip(("Alphabetic", "Ideographic", "Phonetic"), text.split("="), strict=False))
    return {k: v for k, v in groups.items() if v}


__all__ = ["BY_KEYWORD", "InstanceRecord", "Recovery", "Store", "StoreConflict", "Stored"]
