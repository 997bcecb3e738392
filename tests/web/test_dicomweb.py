"""DICOMweb driven by a real client (dicomweb-client) against a live uvicorn server on loopback:
every store, search and retrieve, with the answers compared to the files sent (data sets with
pydicom, pixels with numpy), and OHIF's exact requests replayed."""

from __future__ import annotations

import io
import socket
import threading
import time
import zipfile

import numpy as np
import pydicom
import pytest
import requests
from conftest import corpus_file
from dicomweb_client.api import DICOMwebClient
from PIL import Image
from postgres import postgres_server  # noqa: F401  (the fixture)
from stowing import uid_of
from synthetic import synthesise

TOKEN = "s3cret-token"
FILES = [
    "CT_small.dcm",  # explicit VR little endian, 16-bit
    "MR_small.dcm",
    "emri_small_jpeg_ls_lossless.dcm",  # JPEG-LS, 10 frames: frames as image/jls
    "SC_rgb_rle_2frame.dcm",  # RLE, two RGB frames
    "JPEG2000.dcm",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def server(request, tmp_path_factory):
    """The server on the embedded SQLite index, then on a real PostgreSQL (one database)."""
    import uvicorn

    from dicom_tools.web.app import create_app
    from dicom_tools.web.settings import Settings

    data = tmp_path_factory.mktemp("store")
    url = None
    if request.param == "postgres":
        url = request.getfixturevalue("postgres_server").create_database()
    settings = Settings(
        data_dir=str(data), database_url=url, token=TOKEN, samples=False, cors=("http://ohif",)
    )
    port = _free_port()
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="error")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/dicomweb"
    srv.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def session():
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {TOKEN}"
    return s


@pytest.fixture(scope="module")
def client(server, session):
    return DICOMwebClient(server, session=session)


@pytest.fixture(scope="module")
def stored(client):
    datasets = [pydicom.dcmread(corpus_file(n)) for n in FILES]
    response = client.store_instances(datasets)
    sent = {str(ds.SOPInstanceUID): (name, ds) for name, ds in zip(FILES, datasets, strict=True)}
    return response, sent


def _same_dataset(got: pydicom.Dataset, ref: pydicom.Dataset) -> None:
    """Every element of the file sent, pixel data aside, is in what came back, equal."""
    for elem in ref:
        if elem.tag in (0x7FE00010,) or elem.tag.group == 0x0002:
            continue
        assert elem.tag in got, elem.keyword
        assert got[elem.tag].value == elem.value, elem.keyword


# --- STOW ------------------------------------------------------------------------------------


def test_stow_stores_every_instance(stored, session, server):
    response, sent = stored
    refs = response.ReferencedSOPSequence
    assert sorted(str(i.ReferencedSOPInstanceUID) for i in refs) == sorted(sent)
    assert "FailedSOPSequence" not in response
    for item in refs:
        # dicomweb-client sends "Host" without the port: the server puts its own back
        assert item.RetrieveURL.startswith(f"{server}/studies/")
        assert item.RetrieveURL.endswith(f"/instances/{item.ReferencedSOPInstanceUID}")
    # the same instances again: stored once, still a success
    body, ctype = _multipart([("application/dicom", corpus_file(FILES[0]).read_bytes())])
    r = session.post(f"{server}/studies", data=body, headers={"Content-Type": ctype})
    assert r.status_code == 200, r.text


def _multipart(parts, boundary="XbOuNdArYx", extra=None):
    out = b""
    for n, (ctype, data) in enumerate(parts):
        head = f"Content-Type: {ctype}\r\n" if ctype else ""
        head += (extra or {}).get(n, "")
        out += f"--{boundary}\r\n{head}\r\n".encode() + data + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return out, f'multipart/related; type="application/dicom"; boundary={boundary}'


def test_stow_hostile_parts_fail_alone(session, server):
    good = corpus_file("rtplan.dcm").read_bytes()
    ct = corpus_file("CT_small.dcm").read_bytes()
    changed = bytearray(ct)
    changed[-2:] = b"\x01\x02"  # same SOP Instance UID, other content
    parts = [
        ("application/dicom", b"this is not DICOM at all" * 10),
        ("application/dicom", ct[: len(ct) // 2]),  # truncated
        ("application/octet-stream", good),  # wrong media type
        ("application/dicom", good),  # claims 2 GB in its Content-Length
        ("application/dicom", bytes(changed)),
        ("application/dicom", good),
    ]
    body, ctype = _multipart(parts, extra={3: "Content-Length: 2147483648\r\n"})
    r = session.post(
        f"{server}/studies",
        data=body,
        headers={"Content-Type": ctype, "Accept": "application/dicom+json"},
    )
    assert r.status_code == 202, r.text
    ds = pydicom.Dataset.from_json(r.json())
    reasons = [int(i.FailureReason) for i in ds.FailedSOPSequence]
    assert reasons == [0xC000, 0xC000, 0xC000, 0xC000, 0x0111]
    ref = pydicom.dcmread(corpus_file("rtplan.dcm"))
    assert [i.ReferencedSOPInstanceUID for i in ds.ReferencedSOPSequence] == [ref.SOPInstanceUID]
    assert (
        ds.FailedSOPSequence[4].ReferencedSOPInstanceUID
        == pydicom.dcmread(io.BytesIO(ct)).SOPInstanceUID
    )
    # all failed: 409; and the answer in XML when asked
    body, ctype = _multipart([("application/dicom", b"junk" * 40)])
    r = session.post(
        f"{server}/studies",
        data=body,
        headers={"Content-Type": ctype, "Accept": "application/dicom+xml"},
    )
    assert r.status_code == 409 and r.headers["content-type"].startswith("application/dicom+xml")
    assert b'<Value number="1">49152</Value>' in r.content


def test_stow_lying_parts_fail_alone(session, server):
    # valid instances in parts whose headers lie: nothing of theirs is stored
    good1, good2, short, nan = synthesise(
        4, corpus_file("CT_small.dcm"), PatientID="lying-parts", PatientName="Lying^Parts"
    )
    parts = [
        ("application/dicom", good1),
        ("application/dicom", short),  # claims 10 bytes, holds the whole instance
        ("application/dicom", nan),  # a Content-Length that is no number
        ("application/dicom", b"\0" * 128 + b"DICM"),  # a preamble and nothing else
        ("", good2),  # no Content-Type: the request's type, application/dicom
    ]
    extra = {1: "Content-Length: 10\r\n", 2: "Content-Length: lots\r\n"}
    body, ctype = _multipart(parts, extra=extra)
    r = session.post(f"{server}/studies", data=body, headers={"Content-Type": ctype})
    assert r.status_code == 202, r.text
    ds = pydicom.Dataset.from_json(r.json())
    assert [int(i.FailureReason) for i in ds.FailedSOPSequence] == [0xC000] * 3
    stored_uids = [uid_of(good1), uid_of(good2)]
    assert [i.ReferencedSOPInstanceUID for i in ds.ReferencedSOPSequence] == stored_uids
    accept = {"Accept": 'multipart/related; type="application/dicom"; transfer-syntax=*'}
    for data in (good1, good2):
        got = session.get(f"{server}/instances", params={"SOPInstanceUID": uid_of(data)})
        [found] = got.json()
        r = session.get(found["00081190"]["Value"][0], headers=accept)
        assert r.status_code == 200 and data in r.content
    for data in (short, nan):
        got = session.get(f"{server}/instances", params={"SOPInstanceUID": uid_of(data)})
        assert got.status_code == 204


def test_stow_to_a_study_refuses_other_studies(session, server):
    ct = corpus_file("CT_small.dcm").read_bytes()
    body, ctype = _multipart([("application/dicom", ct)])
    r = session.post(f"{server}/studies/1.2.3.4", data=body, headers={"Content-Type": ctype})
    assert r.status_code == 409
    assert r.json()["00081198"]["Value"][0]["00081197"]["Value"] == [0xA900]


def test_stow_wrong_content_type_and_no_token(session, server):
    r = session.post(f"{server}/studies", data=b"x", headers={"Content-Type": "application/json"})
    assert r.status_code == 415
    assert requests.get(f"{server}/studies").status_code == 401


# --- QIDO ------------------------------------------------------------------------------------


def test_qido_all_six_paths(client, stored):
    _, sent = stored
    ct = sent[next(u for u, (n, _) in sent.items() if n == "CT_small.dcm")][1]
    study, series = str(ct.StudyInstanceUID), str(ct.SeriesInstanceUID)
    studies = client.search_for_studies()
    assert str(ct.StudyInstanceUID) in {s["0020000D"]["Value"][0] for s in studies}
    found = client.search_for_studies(search_filters={"PatientID": ct.PatientID})
    assert [s["0020000D"]["Value"][0] for s in found] == [study]
    assert series in {s["0020000E"]["Value"][0] for s in client.search_for_series()}
    assert [s["0020000E"]["Value"][0] for s in client.search_for_series(study)] == [series]
    inst = client.search_for_instances(study, series)
    assert [i["00080018"]["Value"][0] for i in inst] == [str(ct.SOPInstanceUID)]
    assert [i["00080018"]["Value"][0] for i in client.search_for_instances(study)] == [
        str(ct.SOPInstanceUID)
    ]
    every = client.search_for_instances()
    assert set(sent) <= {i["00080018"]["Value"][0] for i in every}
    assert client.search_for_studies(search_filters={"PatientID": "nobody-here"}) == []


def test_qido_unknown_attribute_is_400(session, server):
    r = session.get(f"{server}/studies", params={"PatientNam": "x"})
    assert r.status_code == 400 and "PatientNam" in r.json()["error"]


def test_qido_no_match_is_204(session, server):
    r = session.get(f"{server}/studies", params={"PatientID": "nobody-here"})
    assert r.status_code == 204 and r.content == b""


# PS3.18 Tables 10.6.3-3, 10.6.3-4 and 10.6.3-5, as the standard lists them: what every study,
# series and instance result carries (when the server keeps it).
STUDY_KEYS = ("StudyDate", "StudyTime", "AccessionNumber", "InstanceAvailability",
              "ModalitiesInStudy", "ReferringPhysicianName", "TimezoneOffsetFromUTC",
              "RetrieveURL", "PatientName", "PatientID", "PatientBirthDate", "PatientSex",
              "StudyInstanceUID", "StudyID", "NumberOfStudyRelatedSeries",
              "NumberOfStudyRelatedInstances")  # fmt: skip
SERIES_KEYS = ("Modality", "TimezoneOffsetFromUTC", "SeriesDescription", "RetrieveURL",
               "SeriesInstanceUID", "SeriesNumber", "NumberOfSeriesRelatedInstances",
               "PerformedProcedureStepStartDate", "PerformedProcedureStepStartTime",
               "RequestAttributesSequence")  # fmt: skip
INSTANCE_KEYS = ("SOPClassUID", "SOPInstanceUID", "InstanceAvailability",
                 "TimezoneOffsetFromUTC", "RetrieveURL", "InstanceNumber", "Rows", "Columns",
                 "BitsAllocated", "NumberOfFrames")  # fmt: skip


def _tags(*keywords: str) -> set[str]:
    return {f"{pydicom.datadict.tag_for_keyword(k):08X}" for k in keywords}


# (path under /dicomweb, the filter naming CT_small's entry, the attributes PS3.18 10.6.3.3.x
# requires for that target resource: the level's table, the upper levels' for All Series / a
# study's instances / All Instances, and the unique keys above the level)
SEARCHES = [
    ("studies", "StudyInstanceUID", _tags(*STUDY_KEYS)),
    ("series", "SeriesInstanceUID", _tags(*SERIES_KEYS, *STUDY_KEYS)),
    ("studies/{study}/series", "SeriesInstanceUID", _tags(*SERIES_KEYS, "StudyInstanceUID")),
    ("instances", "SOPInstanceUID", _tags(*INSTANCE_KEYS, *SERIES_KEYS, *STUDY_KEYS)),
    (
        "studies/{study}/instances",
        "SOPInstanceUID",
        _tags(*INSTANCE_KEYS, *SERIES_KEYS, "StudyInstanceUID"),
    ),
    (
        "studies/{study}/series/{series}/instances",
        "SOPInstanceUID",
        _tags(*INSTANCE_KEYS, "StudyInstanceUID", "SeriesInstanceUID"),
    ),
]


def _search(session, server, path, ct, key, **params):
    path = path.format(study=ct.StudyInstanceUID, series=ct.SeriesInstanceUID)
    r = session.get(f"{server}/{path}", params={key: ct.get(key), **params})
    assert r.status_code == 200, r.text
    [result] = r.json()
    return result


@pytest.mark.parametrize("path,key,required", SEARCHES, ids=[s[0] for s in SEARCHES])
def test_qido_returns_the_default_attributes_and_all_on_request(
    session, server, stored, path, key, required
):
    ct = _sent(stored, "CT_small.dcm")
    everything = _search(session, server, path, ct, key, includefield="all")
    default = _search(session, server, path, ct, key)
    # the standard's set, of what the index keeps (includefield=all: everything it keeps)
    assert set(default) == required & set(everything)
    assert set(everything) - set(default), "includefield=all adds nothing: nothing was narrowed"
    level_url = f"{server}/studies/{ct.StudyInstanceUID}"
    if "00200013" in required:
        level_url += f"/series/{ct.SeriesInstanceUID}/instances/{ct.SOPInstanceUID}"
    elif "0020000E" in required:
        level_url += f"/series/{ct.SeriesInstanceUID}"
    assert default["00081190"] == {"vr": "UR", "Value": [level_url]}
    for tag, element in default.items():
        assert everything[tag] == element


def test_qido_includefield_extends_the_answer(session, server, stored):
    ct = _sent(stored, "CT_small.dcm")
    path = "studies/{study}/series"
    plain = _search(session, server, path, ct, "SeriesInstanceUID")
    assert "00081030" not in plain and "00100020" not in plain and "00080021" not in plain
    # a study attribute by keyword and another by tag, in one list and in two parameters
    for params in ({"includefield": "StudyDescription,00100020"},
                   {"includefield": ["StudyDescription", "00100020"]}):  # fmt: skip
        got = _search(session, server, path, ct, "SeriesInstanceUID", **params)
        assert set(got) == set(plain) | {"00081030", "00100020"}
        assert got["00081030"]["Value"] == [ct.StudyDescription]
        assert got["00100020"]["Value"] == [ct.PatientID]
    # an attribute matched on is returned (SeriesDate is no default)
    got = _search(session, server, path, ct, "SeriesDate")
    assert got["00080021"]["Value"] == [ct.SeriesDate]
    # instance attributes are not returned by a series search, nor unknown ones kept
    got = _search(session, server, path, ct, "SeriesInstanceUID", includefield="Rows,PatientAge")
    assert set(got) == set(plain)
    # OHIF's study list asks for Study Description, which is no default
    study = _search(session, server, "studies", ct, "StudyInstanceUID", includefield="00081030")
    assert study["00081030"]["Value"] == [ct.StudyDescription]


def test_qido_fuzzymatching_on_person_names(session, server, stored):
    ct = _sent(stored, "CT_small.dcm")
    name = str(ct.PatientName).lower()
    for fuzzy in ("true", "false"):  # a person name matches in any case either way
        r = session.get(f"{server}/studies", params={"PatientName": name, "fuzzymatching": fuzzy})
        assert ct.StudyInstanceUID in [s["0020000D"]["Value"][0] for s in r.json()]
        assert {s["00100010"]["Value"][0]["Alphabetic"].lower() for s in r.json()} == {name}
    # other text: exact unless fuzzymatching=true
    sid = str(ct.StudyID).lower()
    assert session.get(f"{server}/studies", params={"StudyID": sid}).status_code == 204
    r = session.get(f"{server}/studies", params={"StudyID": sid, "fuzzymatching": "true"})
    assert ct.StudyInstanceUID in [s["0020000D"]["Value"][0] for s in r.json()]
    assert {s["00200010"]["Value"][0].lower() for s in r.json()} == {sid}


def test_ohif_study_list(session, server, stored):
    _, sent = stored
    mr = next(ds for n, ds in sent.values() if n == "MR_small.dcm")
    name = str(mr.PatientName)
    r = session.get(
        f"{server}/studies?limit=101&offset=0&fuzzymatching=false"
        f"&includefield=00081030,00080060&PatientName=*{name[1:4]}*"
    )
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/dicom+json")
    uids = [s["0020000D"]["Value"][0] for s in r.json()]
    assert str(mr.StudyInstanceUID) in uids
    study = next(s for s in r.json() if s["0020000D"]["Value"][0] == mr.StudyInstanceUID)
    assert "00080061" in study  # ModalitiesInStudy
    # then its series, and the series metadata a viewer loads
    r = session.get(f"{server}/studies/{mr.StudyInstanceUID}/series")
    assert [s["0020000E"]["Value"][0] for s in r.json()] == [mr.SeriesInstanceUID]
    r = session.get(
        f"{server}/studies/{mr.StudyInstanceUID}/series/{mr.SeriesInstanceUID}/metadata"
    )
    [meta] = r.json()
    for tag in ("0020000D", "0020000E", "00080018", "00280010", "00280011", "00280030",
                "00200032", "00200037", "00281052", "00281053", "00281050", "00281051",
                "00280004"):  # fmt: skip
        kw = pydicom.datadict.keyword_for_tag(int(tag, 16))
        if kw in mr:
            assert tag in meta, kw
    got = pydicom.Dataset.from_json(meta, bulk_data_uri_handler=lambda uri: b"")
    _same_dataset(got, mr)
    assert meta["7FE00010"]["BulkDataURI"].endswith("/bulkdata/7FE00010")


# --- WADO ------------------------------------------------------------------------------------


def _instance_url(server, ds):
    return (
        f"{server}/studies/{ds.StudyInstanceUID}/series/{ds.SeriesInstanceUID}"
        f"/instances/{ds.SOPInstanceUID}"
    )


def _sent(stored, name):
    _, sent = stored
    return next(ds for n, ds in sent.values() if n == name)


@pytest.mark.parametrize("name", FILES)
def test_retrieve_instance_default_syntax(client, stored, name):
    ref = _sent(stored, name)
    got = client.retrieve_instance(
        ref.StudyInstanceUID,
        ref.SeriesInstanceUID,
        ref.SOPInstanceUID,
        media_types=("application/dicom",),
    )
    # no transfer-syntax asked for: Explicit VR Little Endian (PS3.18 8.7.3.5.2)
    assert got.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.1"
    _same_dataset(got, ref)
    assert np.array_equal(got.pixel_array, pydicom.dcmread(corpus_file(name)).pixel_array)


def test_retrieve_instance_as_stored_is_the_file(client, stored):
    ref = _sent(stored, "emri_small_jpeg_ls_lossless.dcm")
    got = client.retrieve_instance(
        ref.StudyInstanceUID,
        ref.SeriesInstanceUID,
        ref.SOPInstanceUID,
        media_types=(("application/dicom", "*"),),
    )
    assert got.file_meta.TransferSyntaxUID == ref.file_meta.TransferSyntaxUID
    buf = io.BytesIO()
    got.save_as(buf, enforce_file_format=True)
    _same_dataset(got, ref)
    assert got.PixelData == ref.PixelData


def test_retrieve_study_and_series(client, stored):
    ref = _sent(stored, "SC_rgb_rle_2frame.dcm")
    series = client.retrieve_series(
        ref.StudyInstanceUID, ref.SeriesInstanceUID, media_types=(("application/dicom", "*"),)
    )
    assert [str(d.SOPInstanceUID) for d in series] == [ref.SOPInstanceUID]
    assert np.array_equal(series[0].pixel_array, ref.pixel_array)
    study = client.retrieve_study(ref.StudyInstanceUID)
    assert ref.SOPInstanceUID in {str(d.SOPInstanceUID) for d in study}


def test_retrieve_unknown_is_404_and_lossy_target_is_406(session, server, stored):
    ref = _sent(stored, "CT_small.dcm")
    assert session.get(f"{server}/studies/1.2.3").status_code == 404
    url = _instance_url(server, ref)
    lossy = 'multipart/related; type="application/dicom"; transfer-syntax=1.2.840.10008.1.2.4.50'
    assert session.get(url, headers={"Accept": lossy}).status_code == 406
    assert session.get(f"{server}/studies/..%2F..%2Fetc").status_code in (400, 404)


def test_range_resumes_an_instance_download(session, server, stored):
    ref = _sent(stored, "CT_small.dcm")
    url = _instance_url(server, ref)
    accept = {"Accept": 'multipart/related; type="application/dicom"; transfer-syntax=*'}
    whole = session.get(url, headers=accept)
    assert whole.status_code == 200 and whole.headers["accept-ranges"] == "bytes"
    part1 = session.get(url, headers={**accept, "Range": "bytes=0-999"})
    part2 = session.get(url, headers={**accept, "Range": "bytes=1000-"})
    assert part1.status_code == part2.status_code == 206
    assert part1.content + part2.content == whole.content
    assert corpus_file("CT_small.dcm").read_bytes() in whole.content
    assert session.get(url, headers={**accept, "Range": "bytes=99999999-"}).status_code == 416


def test_metadata_and_bulkdata(client, session, stored):
    ref = _sent(stored, "CT_small.dcm")
    meta = client.retrieve_instance_metadata(
        ref.StudyInstanceUID, ref.SeriesInstanceUID, ref.SOPInstanceUID
    )
    uri = meta["7FE00010"]["BulkDataURI"]
    [value] = client.retrieve_bulkdata(uri)
    assert value == ref.PixelData
    r = session.get(uri, headers={"Accept": "application/octet-stream", "Range": "bytes=10-19"})
    assert r.status_code == 206 and r.content == ref.PixelData[10:20]
    study_meta = client.retrieve_study_metadata(ref.StudyInstanceUID)
    assert [m["00080018"]["Value"][0] for m in study_meta] == [ref.SOPInstanceUID]


def test_frames_native_and_compressed(client, stored):
    ct = _sent(stored, "CT_small.dcm")
    [frame] = client.retrieve_instance_frames(
        ct.StudyInstanceUID, ct.SeriesInstanceUID, ct.SOPInstanceUID, frame_numbers=[1]
    )
    assert frame == ct.PixelData
    rle = _sent(stored, "SC_rgb_rle_2frame.dcm")
    frames = client.retrieve_instance_frames(
        rle.StudyInstanceUID,
        rle.SeriesInstanceUID,
        rle.SOPInstanceUID,
        frame_numbers=[2, 1],
        media_types=(("application/octet-stream", "1.2.840.10008.1.2.1"),),
    )
    arr = pydicom.dcmread(corpus_file("SC_rgb_rle_2frame.dcm")).pixel_array
    assert frames == [arr[1].tobytes(), arr[0].tobytes()]
    jls = _sent(stored, "emri_small_jpeg_ls_lossless.dcm")
    [stored_frame] = client.retrieve_instance_frames(
        jls.StudyInstanceUID,
        jls.SeriesInstanceUID,
        jls.SOPInstanceUID,
        frame_numbers=[1],
        media_types=(("image/jls", "1.2.840.10008.1.2.4.80"),),
    )
    expected = next(pydicom.encaps.generate_frames(jls.PixelData, number_of_frames=10))
    assert stored_frame == expected


@pytest.mark.parametrize(
    "accept",
    ["multipart/related; type=application/octet-stream; transfer-syntax=*", "*/*"],
)
def test_ohif_frames(session, server, stored, accept):
    jls = _sent(stored, "emri_small_jpeg_ls_lossless.dcm")
    url = (
        f"{server}/studies/{jls.StudyInstanceUID}/series/{jls.SeriesInstanceUID}"
        f"/instances/{jls.SOPInstanceUID}/frames/1"
    )
    r = session.get(url, headers={"Accept": accept})
    assert r.status_code == 200
    ctype = r.headers["content-type"]
    assert ctype.startswith("multipart/related") and 'type="image/jls"' in ctype
    from dicom_tools.dicomweb.multipart import boundary_of, iter_parts

    [part] = list(iter_parts([r.content], boundary_of(ctype)))
    assert part.content_type == "image/jls"
    assert part.params["transfer-syntax"] == "1.2.840.10008.1.2.4.80"
    expected = next(pydicom.encaps.generate_frames(jls.PixelData, number_of_frames=10))
    assert part.body.read() == expected
    assert session.get(url[:-1] + "11", headers={"Accept": accept}).status_code == 404


def test_rendered_and_thumbnails(client, session, server, stored):
    ct = _sent(stored, "CT_small.dcm")
    png = client.retrieve_instance_rendered(
        ct.StudyInstanceUID,
        ct.SeriesInstanceUID,
        ct.SOPInstanceUID,
        media_types=("image/png",),
        params={"window": "40,400,linear"},
    )
    img = np.asarray(Image.open(io.BytesIO(png))).astype(float)
    hu = ct.pixel_array * float(ct.RescaleSlope) + float(ct.RescaleIntercept)
    expected = np.clip((hu - 39.5) / 399 + 0.5, 0, 1) * 255  # PS3.3 C.11.2.1.2.1
    assert np.abs(img - expected).max() <= 1
    base = f"{server}/studies/{ct.StudyInstanceUID}/series/{ct.SeriesInstanceUID}"
    for url in (f"{base}/thumbnail", f"{base}/instances/{ct.SOPInstanceUID}/thumbnail",
                f"{server}/studies/{ct.StudyInstanceUID}/thumbnail"):  # fmt: skip
        r = session.get(url, headers={"Accept": "image/jpeg"}, params={"viewport": "64,64"})
        assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
        assert Image.open(io.BytesIO(r.content)).size == (64, 64)
    r = session.get(f"{base}/thumbnail", headers={"Accept": "application/dicom"})
    assert r.status_code == 406


def test_zip_of_a_study(session, server, stored):
    ref = _sent(stored, "SC_rgb_rle_2frame.dcm")
    r = session.get(
        f"{server}/studies/{ref.StudyInstanceUID}", headers={"Accept": "application/zip"}
    )
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(r.content)) as zf:
        name = f"{ref.StudyInstanceUID}/{ref.SeriesInstanceUID}/{ref.SOPInstanceUID}.dcm"
        got = pydicom.dcmread(io.BytesIO(zf.read(name)))
    _same_dataset(got, ref)
    assert got.PixelData == ref.PixelData


def test_cors_preflight_allows_authorization(server):
    r = requests.options(
        f"{server}/studies",
        headers={
            "Origin": "http://ohif",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    assert r.status_code == 200
    assert "authorization" in r.headers["access-control-allow-headers"].lower()
