"""Scale-out (issue 12, section 1): two ``dicom-tools web`` processes on one PostgreSQL index and
one blob directory. Instances are stored through both at once (some through both at the same
time), then read through either with QIDO, WADO and the REST API: each found once, the bytes
sent, and the index and blob directory (read directly) holding each exactly once."""

from __future__ import annotations

import hashlib
import io
from concurrent.futures import ThreadPoolExecutor

import httpx
import pydicom
from conftest import TEST_FILES
from dicomweb_client.api import DICOMwebClient
from postgres import postgres_server  # noqa: F401  (the fixture)
from stowing import Server, assert_consistent, referenced, stow, uid_of
from synthetic import synthesise

CT = TEST_FILES / "CT_small.dcm"
COUNT = 60


def test_two_servers_on_one_postgres_index(tmp_path, request):
    url = request.getfixturevalue("postgres_server").create_database()
    data = tmp_path / "store"
    # started together: one runs the migration and the samples, the other waits for it
    servers = [Server(data, url, tmp_path / f"server{n}.log") for n in (1, 2)]
    try:
        a, b = (s.wait_up() for s in servers)
        blobs = synthesise(COUNT, CT)
        uids = [uid_of(x) for x in blobs]
        by_uid = dict(zip(uids, blobs, strict=True))
        ds = pydicom.dcmread(CT)
        first = pydicom.dcmread(io.BytesIO(blobs[0]), stop_before_pixels=True)
        study, series = str(first.StudyInstanceUID), str(first.SeriesInstanceUID)
        jobs = []
        for i in range(0, 20, 5):  # ten per request, alternating servers
            jobs.append(((a, b)[i // 5 % 2], blobs[i : i + 5]))
        for i in range(20, 40):  # one per request, alternating servers
            jobs.append(((a, b)[i % 2], [blobs[i]]))
        for i in range(40, COUNT, 5):  # the same instances through both servers at once
            jobs += [(a, blobs[i : i + 5]), (b, blobs[i : i + 5])]
        with ThreadPoolExecutor(6) as pool:
            answers = list(pool.map(lambda job: stow(job[0].url, job[1]), jobs))
        for (_, sent), r in zip(jobs, answers, strict=True):
            assert r.status_code == 200, r.text
            assert referenced(r) == [uid_of(x) for x in sent]

        for reader in (a, b):
            base = f"{reader.url}dicomweb"
            r = httpx.get(f"{base}/studies", params={"StudyInstanceUID": study})
            [found] = r.json()
            assert found["00201208"]["Value"] == [COUNT]  # Number of Study Related Instances
            assert found["00201206"]["Value"] == [1]
            every = [s["0020000D"]["Value"][0] for s in httpx.get(f"{base}/studies").json()]
            assert every.count(study) == 1
            [found] = httpx.get(f"{base}/studies/{study}/series").json()
            assert found["00201209"]["Value"] == [COUNT]
            for path in (f"studies/{study}/series/{series}/instances", "instances"):
                r = httpx.get(f"{base}/{path}", params={"limit": 1000})
                got = [i["00080018"]["Value"][0] for i in r.json()]
                mine = [u for u in got if u in by_uid]
                assert len(mine) == len(set(mine)) == COUNT, path  # each once
                assert set(mine) == set(uids)
            # WADO-RS: the series as stored, each instance the bytes sent
            client = DICOMwebClient(base)
            retrieved = client.retrieve_series(
                study, series, media_types=(("application/dicom", "*"),)
            )
            assert sorted(str(d.SOPInstanceUID) for d in retrieved) == sorted(uids)
            for d in retrieved:
                assert d.PixelData == ds.PixelData
        # the REST API: every instance's bytes through the server that did not store it (or
        # either), its id being the documented hash of its UID
        for n, uid in enumerate(uids):
            reader = (a, b)[n % 2]
            id = hashlib.sha256(uid.encode()).hexdigest()[:32]
            r = httpx.get(f"{reader.url}api/download/{id}", timeout=30)
            assert r.status_code == 200 and r.content == by_uid[uid], uid
        meta = httpx.get(f"{b.url}api/metadata/{id}", timeout=30).json()
        assert meta["misc"]["SOP Instance UID"] == uids[-1]
    finally:
        codes = [s.stop() for s in servers]
    assert codes == [0, 0], [s.errors() for s in servers]
    assert all("Traceback" not in s.errors() for s in servers)
    rows = assert_consistent(data, url)  # one row and one blob per instance
    assert set(uids) <= set(rows)
    assert len(rows) == COUNT + 4  # and the four samples, stored once by the first to start
