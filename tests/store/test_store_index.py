"""The store on SQLite and on a real PostgreSQL: the corpus ingested, every level queried with
each kind of matching, results compared with pydicom's reading of the stored files;
idempotence, conflicts, bad input, the blob layout, the schema version and recovery."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
from pathlib import Path

import pydicom
import pytest
from conftest import TEST_FILES, corpus_file, corpus_files
from postgres import postgres_server  # noqa: F401  (the fixture)
from store_helpers import json_of, layout_path, wildcard
from synthetic import synthesise

from dicom_tools.errors import InputError, UsageError
from dicom_tools.store import LEVELS, Store, StoreConflict

STUDY_KEYS = (
    "StudyDate",
    "StudyTime",
    "AccessionNumber",
    "ReferringPhysicianName",
    "StudyID",
    "StudyDescription",
    "PatientName",
    "PatientID",
    "PatientBirthDate",
    "PatientSex",
)
SERIES_KEYS = (
    "Modality",
    "SeriesNumber",
    "SeriesDescription",
    "SeriesDate",
    "SeriesTime",
    "BodyPartExamined",
)
INSTANCE_KEYS = (
    "SOPClassUID",
    "InstanceNumber",
    "Rows",
    "Columns",
    "BitsAllocated",
    "NumberOfFrames",
    "ContentDate",
    "ContentTime",
)
TAGS = {
    k: f"{pydicom.datadict.tag_for_keyword(k):08X}"
    for k in (
        *STUDY_KEYS,
        *SERIES_KEYS,
        *INSTANCE_KEYS,
        "StudyInstanceUID",
        "SeriesInstanceUID",
        "SOPInstanceUID",
        "ModalitiesInStudy",
        "NumberOfStudyRelatedSeries",
        "NumberOfStudyRelatedInstances",
        "NumberOfSeriesRelatedInstances",
        "NumberOfPatientRelatedStudies",
        "NumberOfPatientRelatedInstances",
        "TransferSyntaxUID",
    )
}


@pytest.fixture(params=["sqlite", "postgres"])
def database(request) -> str | None:
    """None (the embedded SQLite) or the URL of a new PostgreSQL database."""
    if request.param == "sqlite":
        return None
    return request.getfixturevalue("postgres_server").create_database()


@pytest.fixture
def store(tmp_path, database):
    with Store.open(tmp_path / "data", database) as s:
        yield s


# pydicom warns about the corpus's odd values (an IS of "1A", hashes as UIDs): expected here
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def _int(ds: pydicom.Dataset, keyword: str) -> int | None:
    """An integer attribute as pydicom reads it; None when absent, empty or no number."""
    try:
        return int(ds.get(keyword))
    except (TypeError, ValueError):
        return None


def _value(obj: dict, keyword: str):
    return obj.get(TAGS[keyword], {}).get("Value")


class Corpus:
    """The corpus ingested in order, and what pydicom reads of each stored file."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.seen: dict[str, str] = {}  # uid -> sha256 of the first file stored under it
        self.stored: dict[str, pydicom.Dataset] = {}  # uid -> pydicom reading of the blob
        self.conflicts = 0
        self.unreadable = 0
        for path in corpus_files():
            data = path.read_bytes()
            try:
                ds = pydicom.dcmread(io.BytesIO(data), stop_before_pixels=True)
                uid = str(ds.SOPInstanceUID)
            except Exception:
                uid = None
            try:
                result = store.ingest(path)
            except InputError:
                self.unreadable += 1
                continue
            except StoreConflict as exc:
                # pydicom agrees: the UID was stored already from other bytes
                assert exc.sop_instance_uid == uid
                assert self.seen[uid] != hashlib.sha256(data).hexdigest()
                self.conflicts += 1
                continue
            assert uid == result.record.sop_instance_uid
            if result.created:
                self.seen[uid] = hashlib.sha256(data).hexdigest()
                blob = store.path(result.record)
                assert blob.read_bytes() == data  # stored as received
                self.stored[uid] = pydicom.dcmread(blob, stop_before_pixels=True)
            else:
                assert self.seen[uid] == hashlib.sha256(data).hexdigest()
        # studies and series take their attributes from their first stored instance
        self.studies: dict[str, list[pydicom.Dataset]] = {}
        self.series: dict[str, list[pydicom.Dataset]] = {}
        for ds in self.stored.values():
            self.studies.setdefault(str(ds.StudyInstanceUID), []).append(ds)
            self.series.setdefault(str(ds.SeriesInstanceUID), []).append(ds)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def corpus(request, tmp_path_factory):
    url = None
    if request.param == "postgres":
        url = request.getfixturevalue("postgres_server").create_database()
    with Store.open(tmp_path_factory.mktemp("corpus"), url) as s:
        yield Corpus(s)


# --- ingest --------------------------------------------------------------------------------------


def test_corpus_ingested_once_each(corpus):
    store = corpus.store
    assert corpus.conflicts > 0 and corpus.unreadable > 0  # the corpus holds both kinds
    assert store.count() == len(corpus.stored)
    for uid, ds in corpus.stored.items():
        record = store.get(uid)
        assert record.study_instance_uid == ds.StudyInstanceUID
        assert record.series_instance_uid == ds.SeriesInstanceUID
        assert record.sop_class_uid == ds.SOPClassUID
        assert record.transfer_syntax == ds.file_meta.TransferSyntaxUID
        assert record.rows == ds.get("Rows") and record.columns == ds.get("Columns")
        assert record.number_of_frames == _int(ds, "NumberOfFrames")
        assert record.instance_number == _int(ds, "InstanceNumber")
        path = store.path(record)
        assert path == layout_path(store.data_dir, uid)
        assert record.size == path.stat().st_size
        assert record.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
        assert store.by_id(record.id) == record
        assert len(record.id) == 32 and record.id == hashlib.sha256(uid.encode()).hexdigest()[:32]
        assert store.source(record).read_bytes() == path.read_bytes()


def test_every_unreadable_corpus_file_is_refused_with_one_line(tmp_path):
    with Store.open(tmp_path) as store:
        for name in ("MR_truncated.dcm", "rtplan_truncated.dcm", "no_meta.dcm"):
            path = corpus_file(name)
            with pytest.raises(InputError) as err:
                store.ingest(path)
            assert name in str(err.value) and "\n" not in str(err.value)
        with pytest.raises(InputError, match="not a DICOM file"):
            store.ingest(b"hello, not DICOM" * 20, name="part 1")
        ds = pydicom.dcmread(TEST_FILES / "CT_small.dcm")
        del ds.SOPInstanceUID
        buf = io.BytesIO()
        ds.save_as(buf)
        with pytest.raises(InputError, match="no SOPInstanceUID"):
            store.ingest(buf.getvalue())
        assert store.count() == 0
        assert list(store.blobs.all()) == [] and store.blobs.temp_files() == []


def test_ingest_is_idempotent_for_every_kind_of_input(store):
    path = TEST_FILES / "CT_small.dcm"
    first = store.ingest(path)
    assert first.created
    for again in (path, str(path), path.read_bytes(), open(path, "rb")):  # noqa: SIM115
        stored = store.ingest(again)
        assert not stored.created and stored.record == first.record
    assert store.count() == 1
    assert len(list(store.blobs.all())) == 1 and store.blobs.temp_files() == []


def test_same_uid_other_content_is_a_conflict_never_an_overwrite(store):
    path = TEST_FILES / "CT_small.dcm"
    original = store.ingest(path).record
    ds = pydicom.dcmread(path)
    ds.PatientName = "Other^Patient"
    buf = io.BytesIO()
    ds.save_as(buf)
    for data in (buf.getvalue(), io.BytesIO(buf.getvalue())):
        with pytest.raises(StoreConflict) as err:
            store.ingest(data)
        assert err.value.sop_instance_uid == original.sop_instance_uid
    assert store.get(original.sop_instance_uid) == original
    assert store.path(original).read_bytes() == path.read_bytes()
    assert store.blobs.temp_files() == []


def test_paths_never_hold_user_text(store):
    stored = store.ingest((TEST_FILES / "CT_small.dcm").read_bytes(), name="../../etc/passwd")
    path = store.path(stored.record)
    assert path.resolve().is_relative_to((store.data_dir / "blobs").resolve())
    assert path == layout_path(store.data_dir, stored.record.sop_instance_uid)
    for bogus in ("../../etc/passwd", "%2e%2e%2f", stored.record.id.upper(), "", "0" * 31):
        assert store.by_id(bogus) is None


# --- queries -------------------------------------------------------------------------------------


def _expect_study(obj: dict, studies: list[pydicom.Dataset], corpus: Corpus) -> None:
    first = studies[0]
    for k in STUDY_KEYS:
        assert _value(obj, k) == json_of(first, k), k
    uid = str(first.StudyInstanceUID)
    series = {str(d.SeriesInstanceUID) for d in studies}
    assert _value(obj, "NumberOfStudyRelatedInstances") == [len(studies)]
    # a series counts under the study of its first instance
    owned = {s for s in series if str(corpus.series[s][0].StudyInstanceUID) == uid}
    assert _value(obj, "NumberOfStudyRelatedSeries") == [len(owned)]
    modalities = sorted(
        {str(corpus.series[s][0].Modality) for s in owned if corpus.series[s][0].get("Modality")}
    )
    assert _value(obj, "ModalitiesInStudy") == (modalities or None)


def test_every_level_returns_what_pydicom_reads(corpus):
    store = corpus.store
    studies = store.query("study")
    assert [_value(s, "StudyInstanceUID")[0] for s in studies] == sorted(
        corpus.studies,
        key=lambda u: (
            str(corpus.studies[u][0].get("StudyDate") or ""),
            str(corpus.studies[u][0].get("StudyTime") or ""),
            u,
        ),
    )
    for obj in studies:
        _expect_study(obj, corpus.studies[_value(obj, "StudyInstanceUID")[0]], corpus)
    series = store.query("series")
    assert {_value(s, "SeriesInstanceUID")[0] for s in series} == set(corpus.series)
    for obj in series:
        members = corpus.series[_value(obj, "SeriesInstanceUID")[0]]
        for k in SERIES_KEYS:
            assert _value(obj, k) == json_of(members[0], k), k
        assert _value(obj, "NumberOfSeriesRelatedInstances") == [len(members)]
    instances = store.query("instance")
    assert len(instances) == len(corpus.stored)
    for obj in instances:
        ds = corpus.stored[_value(obj, "SOPInstanceUID")[0]]
        for k in INSTANCE_KEYS:
            assert _value(obj, k) == json_of(ds, k), k
        assert _value(obj, "TransferSyntaxUID") == [ds.file_meta.TransferSyntaxUID]
    patients = store.query("patient")
    by_pid: dict = {}  # a patient: the studies whose first instance names the Patient ID
    for members in corpus.studies.values():
        pid = json_of(members[0], "PatientID")
        by_pid.setdefault(pid and pid[0], []).append(members)
    assert len(patients) == len(by_pid)
    for obj in patients:
        pid = _value(obj, "PatientID")
        studies_of = by_pid[pid and pid[0]]
        if pid:
            assert _value(obj, "NumberOfPatientRelatedStudies") == [len(studies_of)]
            assert _value(obj, "NumberOfPatientRelatedInstances") == [sum(map(len, studies_of))]


def _studies(store: Store, **filters: str) -> set[str]:
    return {_value(o, "StudyInstanceUID")[0] for o in store.query("study", filters)}


def test_single_value_wildcard_uid_list_and_range_matching(corpus):
    store, studies = corpus.store, corpus.studies

    def where(pred) -> set[str]:
        return {u for u, members in studies.items() if pred(members[0])}

    pids = sorted({str(m[0].PatientID) for m in studies.values() if m[0].get("PatientID")})
    for pid in pids[:5]:  # single value
        assert _studies(store, PatientID=pid) == where(lambda d, p=pid: d.get("PatientID") == p)
        assert _studies(store, **{"00100020": pid}) == _studies(store, PatientID=pid)
    for pattern in ("*a*", "A*", "*^*", "?*", "*e?"):  # wildcards; PN in any case
        rx = wildcard(pattern.lower())

        def pn(d, rx=rx):
            name = str(d.get("PatientName") or "")
            return bool(name) and any(rx.match(v.lower()) for v in (name, name.split("=")[0]))

        assert _studies(store, PatientName=pattern) == where(pn), pattern
    for pattern in ("*1*", "?"):  # case-sensitive wildcard on a text attribute
        rx = wildcard(pattern)
        expected = where(lambda d, rx=rx: bool(rx.match(str(d.get("StudyID") or "x\n"))))
        assert _studies(store, StudyID=pattern) == expected
    uids = sorted(studies)[:3]  # UID lists, both separators
    assert _studies(store, StudyInstanceUID="\\".join(uids)) == set(uids)
    assert _studies(store, StudyInstanceUID=",".join(uids)) == set(uids)
    dates = sorted({str(m[0].StudyDate) for m in studies.values() if m[0].get("StudyDate")})
    low, high = dates[len(dates) // 4], dates[3 * len(dates) // 4]

    def dated(pred):
        return where(lambda d: bool(d.get("StudyDate")) and pred(str(d.StudyDate)))

    assert _studies(store, StudyDate=f"{low}-{high}") == dated(lambda v: low <= v <= high)
    assert _studies(store, StudyDate=f"-{low}") == dated(lambda v: v <= low)
    assert _studies(store, StudyDate=f"{high}-") == dated(lambda v: v >= high)
    assert _studies(store, StudyDate=low) == dated(lambda v: v == low)
    assert _studies(store, StudyDate="", PatientName="*") == set(studies)  # universal
    # a study matches when one of its series (by the series' first instance) is CT
    in_ct = {
        str(m[0].StudyInstanceUID) for m in corpus.series.values() if m[0].get("Modality") == "CT"
    }
    assert in_ct and _studies(store, ModalitiesInStudy="CT") == in_ct
    assert _studies(store, ModalitiesInStudy="C?") >= in_ct


def test_lower_levels_match_upper_attributes_and_scopes(corpus):
    store = corpus.store
    ct = {u for u, members in corpus.series.items() if members[0].get("Modality") == "CT"}
    got = {_value(o, "SeriesInstanceUID")[0] for o in store.query("series", {"Modality": "CT"})}
    assert got == ct
    study = max(corpus.studies, key=lambda u: len(corpus.studies[u]))  # the biggest study
    members = corpus.studies[study]
    inst = store.query("instance", study=study)
    assert {_value(o, "SOPInstanceUID")[0] for o in inst} == {
        str(d.SOPInstanceUID) for d in members
    }
    numbers = [_value(o, "InstanceNumber") for o in inst]
    series_uid = str(members[0].SeriesInstanceUID)
    in_series = store.query("instance", study=study, series=series_uid)
    assert {_value(o, "SeriesInstanceUID")[0] for o in in_series} == {series_uid}
    assert len(numbers) == len(members)
    pid = members[0].get("PatientID")
    if pid:
        got = {_value(o, "SOPInstanceUID")[0] for o in store.query("instance", {"PatientID": pid})}
        assert got == {
            u
            for u, d in corpus.stored.items()
            if corpus.studies[str(d.StudyInstanceUID)][0].get("PatientID") == pid
        }
    sop_class = str(members[0].SOPClassUID)
    got = store.query("instance", {"SOPClassUID": sop_class})
    assert {_value(o, "SOPInstanceUID")[0] for o in got} == {
        u for u, d in corpus.stored.items() if str(d.SOPClassUID) == sop_class
    }
    got = store.query("instance", {"InstanceNumber": "1"})
    assert {_value(o, "SOPInstanceUID")[0] for o in got} == {
        u
        for u, d in corpus.stored.items()
        if d.get("InstanceNumber") not in (None, "") and int(d.InstanceNumber) == 1
    }


@pytest.mark.parametrize("level", LEVELS)
def test_limit_and_offset_page_the_sorted_results(corpus, level):
    whole = corpus.store.query(level)
    assert len(whole) > 5
    pages = [corpus.store.query(level, limit=4, offset=o) for o in range(0, len(whole), 4)]
    assert [o for page in pages for o in page] == whole


@pytest.mark.parametrize(
    "filters",
    [
        {"PatientWeight": "70"},
        {"NoSuchThing": "1"},
        {"00991234": "x"},
        {"StudyDate": "2020*"},
        {"InstanceNumber": "one"},
        {"StudyDate": "20200101-junk"},
    ],
)
def test_unusable_filters_are_usage_errors_naming_the_attribute(store, filters):
    key = next(iter(filters))
    with pytest.raises(UsageError) as err:
        store.query("instance" if key == "InstanceNumber" else "study", filters)
    assert key in str(err.value)


def test_series_attribute_at_study_level_is_refused(store):
    with pytest.raises(UsageError, match="Modality"):
        store.query("study", {"Modality": "CT"})
    with pytest.raises(UsageError, match="level"):
        store.query("level", {})


# --- schema and recovery -------------------------------------------------------------------------


def test_schema_is_versioned_and_newer_schemas_are_refused(tmp_path, database):
    from sqlalchemy import create_engine, text

    with Store.open(tmp_path, database) as store:
        store.ingest(TEST_FILES / "CT_small.dcm")
        url = str(store.engine.url.render_as_string(hide_password=False))
    engine = create_engine(url)
    with engine.begin() as conn:
        assert conn.execute(text("SELECT version FROM schema_version")).all() == [(1,)]
        conn.execute(text("UPDATE schema_version SET version = 99"))
    engine.dispose()
    with pytest.raises(UsageError, match="schema version 99"):
        Store.open(tmp_path, database)


def test_recovery_removes_temps_and_strays_and_reindexes_whole_blobs(tmp_path, database):
    data = tmp_path / "data"
    kept, lost, stray = synthesise(3, TEST_FILES / "CT_small.dcm")
    uids = [str(pydicom.dcmread(io.BytesIO(b)).SOPInstanceUID) for b in (kept, lost, stray)]
    with Store.open(data, database) as store:
        store.ingest(kept)
        store.ingest(lost)
    layout_path(data, uids[1]).unlink()  # a row without its blob
    stray_path = layout_path(data, uids[2])  # a whole blob without its row
    stray_path.parent.mkdir(parents=True, exist_ok=True)
    stray_path.write_bytes(stray)
    junk = layout_path(data, "1.2.3.4")  # a blob that is not what its name says
    junk.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(TEST_FILES / "MR_small.dcm", junk)
    (data / "blobs" / "tmp" / "abc.tmp").write_bytes(b"half")  # a temp file
    with Store.open(data, database) as store:
        rec = store.recovery
        assert (rec.ran, rec.temp_removed, rec.reindexed, rec.blobs_removed, rec.rows_dropped) == (
            True,
            1,
            1,
            1,
            1,
        )
        assert store.get(uids[0]) is not None and store.get(uids[1]) is None
        assert store.get(uids[2]).sha256 == hashlib.sha256(stray).hexdigest()
        assert not junk.exists() and store.blobs.temp_files() == []
        assert store.count() == 2
        assert len(store.query("instance")) == 2
    with Store.open(data, database) as store:  # nothing more to do
        assert (store.recovery.reindexed, store.recovery.rows_dropped) == (0, 0)


def test_no_recovery_while_another_store_is_open(tmp_path):
    with Store.open(tmp_path) as first:
        temp = first.blobs.temp / "in-flight.tmp"
        temp.write_bytes(b"another process is writing this")
        with Store.open(tmp_path) as second:
            assert not second.recovery.ran and temp.exists()
    with Store.open(tmp_path) as third:
        assert third.recovery.ran and not temp.exists()


def test_default_store_is_sqlite_in_wal_mode(tmp_path):
    with Store.open(tmp_path) as store:
        store.ingest(TEST_FILES / "CT_small.dcm")
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    assert (tmp_path / "index.sqlite").is_file()
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_dir()) == ["blobs"]


def test_store_is_not_on_the_header_path():
    import subprocess
    import sys

    code = (
        "import sys, dicom_tools.cli; "
        "print(any(m.startswith(('sqlalchemy', 'dicom_tools.store')) for m in sys.modules))"
    )
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2] / "src"))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.stdout.strip() == "False", out.stderr


def test_time_ranges_and_case(store):
    """TM ranges include a bound's whole hour/minute ("-1200" takes 12:00:30); text matching is
    case-sensitive but for PN."""
    times = {"080000": "Alpha^One", "1200": "beta^two", "120030": "Gamma^Three", "235959.5": "X"}
    uids = {}
    for time_, name in times.items():
        data = synthesise(1, TEST_FILES / "CT_small.dcm")[0]
        ds = pydicom.dcmread(io.BytesIO(data))
        ds.StudyTime, ds.PatientName, ds.StudyDescription = time_, name, name.upper()
        buf = io.BytesIO()
        ds.save_as(buf)
        store.ingest(buf.getvalue())
        uids[time_] = str(ds.StudyInstanceUID)

    def of(*keys: str) -> set[str]:
        return {uids[k] for k in keys}

    assert _studies(store, StudyTime="-1200") == of("080000", "1200", "120030")
    assert _studies(store, StudyTime="1200-") == of("1200", "120030", "235959.5")
    assert _studies(store, StudyTime="0800-115959") == of("080000")
    assert _studies(store, StudyTime="1200") == of("1200")
    assert _studies(store, PatientName="BETA*") == of("1200")  # PN: any case
    assert _studies(store, StudyDescription="beta*") == set()  # LO: case-sensitive
    assert _studies(store, StudyDescription="BETA*") == of("1200")
    with pytest.raises(UsageError, match="StudyTime"):
        store.query("study", {"StudyTime": "25h"})
