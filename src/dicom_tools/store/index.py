"""The index: SQLAlchemy Core tables, the versioned schema, and the queries.

Three tables (the Study Root model): ``studies`` (with the patient's attributes: a patient is
the group of studies sharing a Patient ID), ``series`` and ``instances``, each keyed by its
UID, one column per indexed attribute named by its keyword. Counts and Modalities in Study
are computed by the queries (correlated counts over indexed columns), never stored, so
concurrent ingests never contend on a counter row.

Schema versions: ``schema_version`` holds the version applied; ``migrate`` applies the
forward steps in ``MIGRATIONS`` in order, in one transaction, under a PostgreSQL advisory lock
(several processes may open the store at once).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Engine,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
    select,
    text,
)

from dicom_tools.errors import UsageError
from dicom_tools.store.attributes import (
    ATTRIBUTES,
    BY_KEYWORD,
    COMPUTED,
    LEVELS,
    Attribute,
    levels_up_to,
)
from dicom_tools.store.matching import condition

SCHEMA_VERSION = 1
_LOCK_KEY = 0x44434D53  # "DCMS": the advisory lock of schema migrations

metadata = MetaData()


def _columns(*levels: str) -> list[Column[Any]]:
    cols: list[Column[Any]] = []
    for level in levels:
        for attr in ATTRIBUTES[level]:
            if attr.keyword.endswith("InstanceUID"):
                continue  # the keys, declared by each table
            cols.append(Column(attr.keyword, Integer if attr.integer else Text, nullable=True))
    return cols


schema_version = Table("schema_version", metadata, Column("version", Integer, nullable=False))

studies = Table(
    "studies",
    metadata,
    Column("StudyInstanceUID", String(64), primary_key=True),
    *_columns("patient", "study"),
    Index("studies_patient", "PatientID"),
    Index("studies_date", "StudyDate"),
)
series = Table(
    "series",
    metadata,
    Column("SeriesInstanceUID", String(64), primary_key=True),
    Column("StudyInstanceUID", String(64), nullable=False, index=True),
    *_columns("series"),
)
instances = Table(
    "instances",
    metadata,
    Column("SOPInstanceUID", String(64), primary_key=True),
    Column("id", String(32), nullable=False, unique=True),
    Column("SeriesInstanceUID", String(64), nullable=False, index=True),
    Column("StudyInstanceUID", String(64), nullable=False, index=True),
    *_columns("instance"),
    Column("transfer_syntax", String(64), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
)
TABLES = {"studies": studies, "series": series, "instances": instances}


def _v1(conn: Connection) -> None:
    metadata.create_all(conn, tables=[studies, series, instances])


# version -> the step that brings the schema from version - 1 to it
MIGRATIONS: dict[int, Callable[[Connection], None]] = {1: _v1}


def migrate(engine: Engine) -> int:
    """Create or upgrade the schema to ``SCHEMA_VERSION``; returns the version found before."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
        schema_version.create(conn, checkfirst=True)
        found = conn.execute(select(func.max(schema_version.c.version))).scalar() or 0
        if found > SCHEMA_VERSION:
            raise UsageError(
                f"the store's index has schema version {found}, newer than this dicom-tools "
                f"knows ({SCHEMA_VERSION}): upgrade dicom-tools"
            )
        for version in range(found + 1, SCHEMA_VERSION + 1):
            MIGRATIONS[version](conn)
            conn.execute(schema_version.delete())
            conn.execute(schema_version.insert().values(version=version))
    return found


# --- queries ------------------------------------------------------------------------------------


def _column(attr: Attribute) -> Any:
    if attr.level in ("patient", "study"):
        return studies.c[attr.keyword]
    return TABLES["series" if attr.level == "series" else "instances"].c[attr.keyword]


def resolve(key: str) -> Attribute | None:
    """The attribute a query key names: a keyword or 8 hex digits (a tag)."""
    attr = BY_KEYWORD.get(key)
    if attr is None and len(key) == 8:
        try:
            tag = int(key, 16)
        except ValueError:
            return None
        attr = next((a for a in BY_KEYWORD.values() if a.tag == tag), None)
    return attr


def _order(level: str) -> list[Any]:
    keys: list[Any] = []
    if level == "patient":
        return [func.coalesce(studies.c.PatientID, ""), func.max(studies.c.PatientName)]
    keys += [
        func.coalesce(studies.c.StudyDate, ""),
        func.coalesce(studies.c.StudyTime, ""),
        studies.c.StudyInstanceUID,
    ]
    if level in ("series", "instance"):
        keys += [func.coalesce(series.c.SeriesNumber, -1), series.c.SeriesInstanceUID]
    if level == "instance":
        keys += [func.coalesce(instances.c.InstanceNumber, -1), instances.c.SOPInstanceUID]
    return keys


def build_query(
    level: str,
    filters: dict[str, str] | None,
    study: str | None,
    series_uid: str | None,
    limit: int | None,
    offset: int,
    fuzzy: bool,
) -> Any:
    """The SELECT of ``level``'s rows matching ``filters`` (see ``Store.query``)."""
    if level not in LEVELS:
        raise UsageError(f"unknown query level {level!r}: one of {', '.join(LEVELS)}")
    scope = levels_up_to(level)
    where: list[Any] = []
    for key, value in (filters or {}).items():
        attr = resolve(key)
        if attr is None:
            raise UsageError(f"{key} is not an attribute the store can match")
        if attr.keyword == "ModalitiesInStudy" and level == "study":
            cond = condition(BY_KEYWORD["Modality"], series.c.Modality, value, fuzzy)
            if cond is not None:  # a study matches when one of its series does
                where.append(
                    select(series.c.SeriesInstanceUID)
                    .where(series.c.StudyInstanceUID == studies.c.StudyInstanceUID, cond)
                    .exists()
                )
            continue
        if attr.level not in scope or attr in COMPUTED[attr.level]:
            raise UsageError(
                f"{attr.keyword} is not an attribute the store matches at {level} level"
            )
        cond = condition(attr, _column(attr), value, fuzzy)
        if cond is not None:
            where.append(cond)
    if study is not None:
        where.append(studies.c.StudyInstanceUID == study)
    if series_uid is not None:
        if level in ("patient", "study"):
            raise UsageError(f"a series scope makes no sense at {level} level")
        where.append(series.c.SeriesInstanceUID == series_uid)

    columns: list[Any] = [_column(a) for lvl in scope for a in ATTRIBUTES[lvl]]
    if level == "patient":
        columns = [func.max(c).label(c.name) for c in columns if c.name != "PatientID"]
        columns.insert(0, studies.c.PatientID)
        stmt = select(*columns).select_from(studies).group_by(studies.c.PatientID)
    elif level == "study":
        stmt = select(*columns).select_from(studies)
    elif level == "series":
        stmt = select(*columns).select_from(
            series.join(studies, series.c.StudyInstanceUID == studies.c.StudyInstanceUID)
        )
    else:
        columns += [instances.c.transfer_syntax]
        stmt = select(*columns).select_from(
            instances.join(
                series, instances.c.SeriesInstanceUID == series.c.SeriesInstanceUID
            ).join(studies, instances.c.StudyInstanceUID == studies.c.StudyInstanceUID)
        )
    if where:
        stmt = stmt.where(*where)
    stmt = stmt.order_by(*_order(level)).offset(offset or 0)
    if limit is not None:
        stmt = stmt.limit(limit)
    return stmt


def counts(conn: Connection, level: str, keys: list[Any]) -> dict[Any, dict[str, Any]]:
    """The computed attributes of the rows ``keys`` (Patient IDs, Study or Series UIDs)."""
    out: dict[Any, dict[str, Any]] = {k: {} for k in keys}
    if not keys:
        return out

    def count(name: str, key: Any, table: Any = None) -> None:
        """``name`` = the rows of ``table`` (else of ``key``'s own table) per key."""
        query = select(key, func.count()).where(key.in_(keys)).group_by(key)
        if table is not None:  # rows of a lower level, joined to the study for its key
            join = table.join(studies, table.c.StudyInstanceUID == studies.c.StudyInstanceUID)
            query = query.select_from(join)
        for k, n in conn.execute(query):
            out[k][name] = n

    if level == "patient":
        pid = studies.c.PatientID
        count("NumberOfPatientRelatedStudies", pid)
        count("NumberOfPatientRelatedSeries", pid, series)
        count("NumberOfPatientRelatedInstances", pid, instances)
    elif level == "study":
        count("NumberOfStudyRelatedSeries", series.c.StudyInstanceUID)
        count("NumberOfStudyRelatedInstances", instances.c.StudyInstanceUID)
        rows = conn.execute(
            select(series.c.StudyInstanceUID, series.c.Modality)
            .where(series.c.StudyInstanceUID.in_(keys), series.c.Modality.isnot(None))
            .distinct()
        )
        for k, modality in rows:
            out[k].setdefault("ModalitiesInStudy", []).append(modality)
        for v in out.values():
            v["ModalitiesInStudy"] = sorted(v.get("ModalitiesInStudy", []))
    elif level == "series":
        count("NumberOfSeriesRelatedInstances", instances.c.SeriesInstanceUID)
    return out
    if level == "patient":
        pid = studies.c.PatientID
        rows = conn.execute(select(pid, func.count()).where(pid.in_(keys)).group_by(pid)).all()
        for k, n in rows:
            out[k]["NumberOfPatientRelatedStudies"] = n
        rows = conn.execute(
            select(pid, func.count())
            .select_from(
                series.join(studies, series.c.StudyInstanceUID == studies.c.StudyInstanceUID)
            )
            .where(pid.in_(keys))
            .group_by(pid)
        ).all()
        for k, n in rows:
            out[k]["NumberOfPatientRelatedSeries"] = n
        rows = conn.execute(
            select(pid, func.count())
            .select_from(
                instances.join(studies, instances.c.StudyInstanceUID == studies.c.StudyInstanceUID)
            )
            .where(pid.in_(keys))
            .group_by(pid)
        ).all()
        for k, n in rows:
            out[k]["NumberOfPatientRelatedInstances"] = n
    elif level == "study":
        uid = series.c.StudyInstanceUID
        for k, n in conn.execute(select(uid, func.count()).where(uid.in_(keys)).group_by(uid)):
            out[k]["NumberOfStudyRelatedSeries"] = n
        uid = instances.c.StudyInstanceUID
        for k, n in conn.execute(select(uid, func.count()).where(uid.in_(keys)).group_by(uid)):
            out[k]["NumberOfStudyRelatedInstances"] = n
        rows = conn.execute(
            select(series.c.StudyInstanceUID, series.c.Modality)
            .where(series.c.StudyInstanceUID.in_(keys), series.c.Modality.isnot(None))
            .distinct()
        )
        for k, modality in rows:
            out[k].setdefault("ModalitiesInStudy", []).append(modality)
        for v in out.values():
            v["ModalitiesInStudy"] = sorted(v.get("ModalitiesInStudy", []))
    elif level == "series":
        uid = instances.c.SeriesInstanceUID
        for k, n in conn.execute(select(uid, func.count()).where(uid.in_(keys)).group_by(uid)):
            out[k]["NumberOfSeriesRelatedInstances"] = n
    return out
