"""Several real OS processes on one store: one index (PostgreSQL, and SQLite on one machine)
and one blob directory, ingesting the same instances at once, conflicting versions at once, and
a process killed with SIGKILL in the middle of ingesting many instances."""

from __future__ import annotations

import hashlib
import io
import os
import signal
import time
from pathlib import Path

import pydicom
import pytest
from conftest import TEST_FILES
from postgres import postgres_server  # noqa: F401  (the fixture)
from store_helpers import layout_path, worker
from synthetic import synthesise

from dicom_tools.store import Store


@pytest.fixture(params=["postgres", "sqlite"])
def url(request) -> str:
    """The index URL the workers get: a new PostgreSQL database, or "-" (the default SQLite)."""
    if request.param == "sqlite":
        return "-"
    return request.getfixturevalue("postgres_server").create_database()


def _write(folder: Path, blobs: list[bytes], prefix: str = "") -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, data in enumerate(blobs):
        path = folder / f"{prefix}{i:04d}.dcm"
        path.write_bytes(data)
        paths.append(path)
    return paths


def _uid(data: bytes) -> str:
    return str(pydicom.dcmread(io.BytesIO(data), stop_before_pixels=True).SOPInstanceUID)


def _finish(procs) -> list[dict[str, str]]:
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        results.append(dict(line.split(" ", 1) for line in out.splitlines()))
    return results


def _consistent(data_dir: Path, url: str) -> Store:
    """Reopen the store (running recovery) and check that rows and blobs agree one to one."""
    store = Store.open(data_dir, None if url == "-" else url)
    rows = {r.sop_instance_uid: r for r in store.instances()}
    blobs = {p.name for p in (data_dir / "blobs").glob("??/??/*")}
    assert blobs == {layout_path(data_dir, u).name for u in rows}  # no orphan either way
    assert list((data_dir / "blobs" / "tmp").iterdir()) == []
    for uid, record in rows.items():
        assert hashlib.sha256(layout_path(data_dir, uid).read_bytes()).hexdigest() == record.sha256
    return store


def test_two_processes_ingest_the_same_instances_at_once(tmp_path, url):
    data = synthesise(40, TEST_FILES / "CT_small.dcm")
    files = _write(tmp_path / "in", data)
    uids = [_uid(d) for d in data]
    data_dir, go = tmp_path / "store", tmp_path / "go"
    Store.open(data_dir, None if url == "-" else url).close()  # schema made once
    procs = [
        worker("wait-ingest", str(data_dir), url, str(go), *map(str, order))
        for order in (files, files[::-1])
    ]
    time.sleep(1.0)  # both started and waiting
    go.touch()
    first, second = _finish(procs)
    assert set(first) == set(second) == set(uids)
    for uid in uids:  # one stored it, the other found it there
        assert sorted((first[uid], second[uid])) == ["created", "same"], uid
    # each reads, through its own process, what the other stored
    readers = [worker("read", str(data_dir), url, *uids) for _ in range(2)]
    for read in _finish(readers):
        assert read == {u: hashlib.sha256(d).hexdigest() for u, d in zip(uids, data, strict=True)}
    with _consistent(data_dir, url) as store:
        assert store.count() == 40
        assert len(store.query("instance")) == 40
        (series,) = store.query("series")
        assert series["00201209"]["Value"] == [40]


def test_two_processes_storing_other_content_under_one_uid_conflict(tmp_path, url):
    originals = synthesise(20, TEST_FILES / "CT_small.dcm")
    others = []
    for data in originals:  # the same UIDs, another patient name
        ds = pydicom.dcmread(io.BytesIO(data))
        ds.PatientName = "Someone^Else"
        buf = io.BytesIO()
        ds.save_as(buf)
        others.append(buf.getvalue())
    a = _write(tmp_path / "a", originals)
    b = _write(tmp_path / "b", others)
    data_dir, go = tmp_path / "store", tmp_path / "go"
    Store.open(data_dir, None if url == "-" else url).close()
    procs = [worker("wait-ingest", str(data_dir), url, str(go), *map(str, f)) for f in (a, b)]
    time.sleep(1.0)
    go.touch()
    first, second = _finish(procs)
    winners = {}
    for i, data in enumerate(originals):
        uid = _uid(data)
        assert sorted((first[uid], second[uid])) == ["conflict", "created"], uid
        winners[uid] = data if first[uid] == "created" else others[i]
    with _consistent(data_dir, url) as store:
        for uid, data in winners.items():  # the loser never overwrote the winner's blob
            assert store.path(store.get(uid)).read_bytes() == data


def test_sigkill_in_the_middle_of_ingest_loses_nothing_returned(tmp_path, url):
    data = synthesise(400, TEST_FILES / "CT_small.dcm")
    files = _write(tmp_path / "in", data)
    by_uid = {_uid(d): d for d in data}
    data_dir = tmp_path / "store"
    returned: set[str] = set()
    for round_, kill_after in enumerate((37, 120)):
        proc = worker("ingest", str(data_dir), url, *map(str, files))
        for _ in range(kill_after):  # these ingests returned
            line = proc.stdout.readline()
            assert line, proc.stderr.read()
            returned.add(line.split()[0])
        os.kill(proc.pid, signal.SIGKILL)  # somewhere inside the next ingest
        proc.wait()
        proc.stdout.close()
        proc.stderr.close()
        with _consistent(data_dir, url) as store:
            stored = {r.sop_instance_uid for r in store.instances()}
            assert returned <= stored, round_
            for uid in stored:
                assert store.path(store.get(uid)).read_bytes() == by_uid[uid]
