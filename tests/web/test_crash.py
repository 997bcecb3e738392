"""A ``dicom-tools web`` process killed with SIGKILL while clients STOW many instances (several
requests in flight), then started again on the same store (issue 12, section 6): every
instance whose STOW response was received is there, by QIDO and WADO, with the bytes sent; the
index and the blob directory (read directly) agree one to one, with no temp file left; and the
clients can go on storing. On the embedded SQLite index and on PostgreSQL."""

from __future__ import annotations

import os
import signal
import threading

import httpx
import pytest
from conftest import TEST_FILES
from postgres import postgres_server  # noqa: F401  (the fixture)
from stowing import (
    DICOM_TS_ANY,
    Server,
    assert_consistent,
    referenced,
    stow,
    uid_of,
)
from synthetic import synthesise

CT = TEST_FILES / "CT_small.dcm"
CLIENTS = 4
PER_REQUEST = 5
KILL_AFTER = 12  # STOW responses received before the kill


@pytest.mark.parametrize("db", ["sqlite", "postgres"])
def test_sigkill_during_stow_loses_nothing_acknowledged(tmp_path, db, request):
    url = None
    if db == "postgres":
        url = request.getfixturevalue("postgres_server").create_database()
    data = tmp_path / "store"
    blobs = synthesise(CLIENTS * PER_REQUEST * 15, CT)
    by_uid = {uid_of(b): b for b in blobs}
    acknowledged: set[str] = set()
    answered = threading.Semaphore(0)
    lock = threading.Lock()
    failures: list[str] = []

    def client(share: list[bytes], base: str) -> None:
        for start in range(0, len(share), PER_REQUEST):
            chunk = share[start : start + PER_REQUEST]
            try:
                r = stow(base, chunk)
            except httpx.TransportError:
                return  # the server is gone: this request's outcome is unknown
            with lock:
                if r.status_code == 200:
                    acknowledged.update(referenced(r))
                else:
                    failures.append(r.text)
            answered.release()

    server = Server(data, url, tmp_path / "server.log").wait_up()
    shares = [blobs[n::CLIENTS] for n in range(CLIENTS)]
    threads = [threading.Thread(target=client, args=(s, server.url)) for s in shares]
    for t in threads:
        t.start()
    for _ in range(KILL_AFTER):
        assert answered.acquire(timeout=60), server.errors()
    os.kill(server.proc.pid, signal.SIGKILL)  # the other clients' requests are in flight
    server.proc.wait()
    for t in threads:
        t.join(60)
    assert not failures, failures[0]
    with lock:
        seen = set(acknowledged)
    assert KILL_AFTER * PER_REQUEST <= len(seen) < len(blobs), "killed too late to matter"

    server = Server(data, url, tmp_path / "server.log").wait_up()  # recovery runs at start
    try:
        base = f"{server.url}dicomweb"
        some = next(iter(seen))
        first = httpx.get(f"{base}/instances", params={"SOPInstanceUID": some}).json()[0]
        study, series = first["0020000D"]["Value"][0], first["0020000E"]["Value"][0]
        r = httpx.get(f"{base}/studies/{study}/series/{series}/instances", params={"limit": 10000})
        found = [i["00080018"]["Value"][0] for i in r.json()]
        assert len(found) == len(set(found)), "an instance listed twice"
        assert seen <= set(found), sorted(seen - set(found))[:3]
        for uid in seen:  # WADO-RS, as stored: the very bytes sent
            r = httpx.get(
                f"{base}/studies/{study}/series/{series}/instances/{uid}",
                headers={"Accept": DICOM_TS_ANY},
                timeout=30,
            )
            assert r.status_code == 200 and by_uid[uid] in r.content, uid
        # the clients go on: what was not acknowledged is stored now (or found stored)
        rest = [b for u, b in by_uid.items() if u not in found]
        for start in range(0, len(rest), 20):
            r = stow(server.url, rest[start : start + 20])
            assert r.status_code == 200, r.text
    finally:
        code = server.stop()
    assert code == 0, server.errors()
    rows = assert_consistent(data, url)
    assert set(by_uid) <= set(rows)
    assert "Traceback" not in server.errors()
