"""Ingest from many threads of one process (how the web server's thread pool stores STOW parts),
and ``inspect`` then ``ingest(info=...)`` (the STOW route reads a part once)."""

from __future__ import annotations

import io
import threading
from concurrent.futures import ThreadPoolExecutor

import pydicom
import pytest
from conftest import TEST_FILES
from postgres import postgres_server  # noqa: F401  (the fixture)
from synthetic import synthesise

from dicom_tools.errors import InputError
from dicom_tools.store import Store, StoreConflict

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


@pytest.fixture(params=["sqlite", "postgres"])
def store(request, tmp_path):
    url = None
    if request.param == "postgres":
        url = request.getfixturevalue("postgres_server").create_database()
    with Store.open(tmp_path / "data", url) as s:
        yield s


def test_inspect_reads_what_pydicom_reads_and_ingest_takes_it(store):
    data = (TEST_FILES / "CT_small.dcm").read_bytes()
    ref = pydicom.dcmread(TEST_FILES / "CT_small.dcm")
    info = Store.inspect(data, name="part 1")
    assert info.sop_instance_uid == ref.SOPInstanceUID
    assert info.values["StudyInstanceUID"] == ref.StudyInstanceUID
    assert info.values["SOPClassUID"] == ref.SOPClassUID
    stored = store.ingest(data, name="part 1", info=info)
    assert stored.created and store.path(stored.record).read_bytes() == data
    again = store.ingest(data, info=info)  # a resend: a no-op, its temp file gone
    assert not again.created and again.record == stored.record
    assert store.count() == 1 and store.blobs.temp_files() == []
    with pytest.raises(InputError, match=r"^part 2: "):
        Store.inspect(data[: len(data) // 2], name="part 2")


def test_threads_store_every_instance_once(store):
    """Distinct instances from 8 threads at once: every one stored, none twice; the same
    instance from 8 threads: created by one, a no-op for the others; other content under a
    stored UID: a conflict for every thread, the stored blob untouched."""
    template = TEST_FILES / "CT_small.dcm"
    instances = synthesise(40, template)
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(store.ingest, instances))
    assert all(r.created for r in results)
    uids = {r.record.sop_instance_uid for r in results}
    assert len(uids) == 40 and store.count() == 40

    same = synthesise(1, template)[0]
    start = threading.Barrier(8)

    def race(data: bytes):
        start.wait()
        try:
            return store.ingest(data)
        except StoreConflict as exc:
            return exc

    with ThreadPoolExecutor(8) as pool:
        raced = list(pool.map(race, [same] * 8))
    assert sum(r.created for r in raced) == 1
    assert len({r.record for r in raced}) == 1

    ds = pydicom.dcmread(io.BytesIO(same))
    ds.PatientName = "Other^Content"
    buf = io.BytesIO()
    ds.save_as(buf)
    with ThreadPoolExecutor(8) as pool:
        start.reset()
        conflicts = list(pool.map(race, [buf.getvalue()] * 8))
    assert all(isinstance(c, StoreConflict) for c in conflicts)
    assert store.path(raced[0].record).read_bytes() == same
    assert store.count() == 41 and store.blobs.temp_files() == []
