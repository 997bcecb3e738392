"""The seed's REST API through FastAPI's TestClient.

Each route is compared with the command line's JSON on the same file (the same operation
through another front end) and, independently, with dcmdump's values or numpy on pydicom's
decoded array (as tests/ops do), so a shared mistake of the operation shows too.
"""

from __future__ import annotations

import hashlib
import io
import json
import re

import numpy as np
import pydicom
import pytest
from conftest import TEST_FILES, dcmdump_lines, run_cli
from PIL import Image
from postgres import postgres_server  # noqa: F401  (the fixture)
from pydicom.pixels import apply_modality_lut
from webclient import make_client, upload

CT = TEST_FILES / "CT_small.dcm"
MR = TEST_FILES / "MR_small.dcm"
RGB2 = TEST_FILES / "SC_rgb_rle_2frame.dcm"  # colour, two frames, RLE
RTPLAN = TEST_FILES / "rtplan.dcm"  # no pixel data


@pytest.fixture
def db() -> str:
    """The index the client's store uses; ``BOTH`` runs a test on PostgreSQL too."""
    return "sqlite"


BOTH = pytest.mark.parametrize("db", ["sqlite", "postgres"])


@pytest.fixture
def client(tmp_path, db, request):
    url = None
    if db == "postgres":  # a new database of the session's server
        url = request.getfixturevalue("postgres_server").create_database()
    with make_client(tmp_path, database_url=url) as c:
        yield c


def cli_json(*args) -> dict:
    proc = run_cli(*args)
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)


def dump(path) -> dict[str, str]:
    return {e["tag"]: e["value"] for e in dcmdump_lines(path) if e["depth"] == 0}


def values(path) -> np.ndarray:
    """Every value of every frame, the test's own way: pydicom's decode + modality LUT."""
    ds = pydicom.dcmread(path)
    arr = ds.pixel_array
    if int(ds.get("SamplesPerPixel", 1)) == 1:
        arr = apply_modality_lut(arr, ds)
    return np.asarray(arr, dtype=np.float64)


# --- upload ---------------------------------------------------------------------------------


@BOTH
@pytest.mark.parametrize("path", [CT, MR, RGB2, RTPLAN], ids=lambda p: p.name)
def test_upload_describes_the_instance(client, path):
    r = upload(client, path)
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"success", "filename", "info", "validation", "pixel_format"}
    assert body["success"] is True
    assert re.fullmatch(r"[0-9a-f]{32}", body["filename"])
    info, ref = body["info"], dump(path)
    assert info["patient_id"] == (ref.get("(0010,0020)") or None)
    assert info["sop_class_uid"] == ref["(0008,0016)"]
    assert info["modality"] == ref["(0008,0060)"]
    assert info["transfer_syntax"] == ref["(0002,0010)"]
    assert info["has_pixel_data"] == ("(7FE0,0010)" in ref)
    if "(0028,0010)" in ref:
        assert info["rows"] == int(ref["(0028,0010)"])
        assert info["columns"] == int(ref["(0028,0011)"])
    # the same values as `info --json` gives
    cli = cli_json("info", path, "--json")
    assert info["patient_name"] == cli["PatientName"]
    assert info["study_date"] == cli["StudyDate"]
    assert info["number_of_frames"] == cli["NumberOfFrames"]
    valid = cli_json("validate", path, "--json")
    assert body["validation"]["valid"] == valid["valid"]
    assert body["validation"]["has_pixel_data"] == info["has_pixel_data"]
    fmt = body["pixel_format"]
    if not info["has_pixel_data"]:
        assert fmt is None
        return
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    assert fmt["rows"] == ds.Rows and fmt["columns"] == ds.Columns
    assert fmt["number_of_frames"] == int(ds.get("NumberOfFrames", 1))
    assert fmt["samples_per_pixel"] == ds.SamplesPerPixel
    assert fmt["bits_allocated"] == ds.BitsAllocated and fmt["bits_stored"] == ds.BitsStored
    assert fmt["high_bit"] == ds.HighBit
    assert fmt["photometric_interpretation"] == ds.PhotometricInterpretation
    assert fmt["rescale_slope"] == (float(ds.RescaleSlope) if "RescaleSlope" in ds else None)
    if ds.SamplesPerPixel > 1:
        assert fmt["planar_configuration"] == ds.PlanarConfiguration


@BOTH
def test_the_same_instance_twice_is_stored_once(client):
    first = upload(client, CT).json()["filename"]
    again = upload(client, CT)
    assert again.status_code == 200 and again.json()["filename"] == first
    assert client.app.state.store.count() == 1


@BOTH
def test_other_content_under_a_stored_uid_is_a_conflict(client, tmp_path):
    upload(client, CT)
    ds = pydicom.dcmread(CT)
    ds.PatientName = "Other^Patient"
    changed = tmp_path / "changed.dcm"
    ds.save_as(changed)
    r = upload(client, changed)
    assert r.status_code == 409, r.text
    assert r.json()["status"] == 409
    assert client.app.state.store.count() == 1


# --- reading routes ---------------------------------------------------------------------------


@pytest.fixture
def ct_id(client):
    return upload(client, CT).json()["filename"]


@BOTH
def test_metadata_groups(client, ct_id):
    r = client.get(f"/api/metadata/{ct_id}")
    assert r.status_code == 200
    meta, ref = r.json(), dump(CT)
    assert set(meta) == {"patient", "study", "image", "misc"}
    assert meta["patient"]["ID"] == ref["(0010,0020)"]
    assert meta["patient"]["Name"] == ref["(0010,0010)"]
    assert meta["study"]["Date"] == ref["(0008,0020)"]
    assert meta["image"]["Rows"] == ref["(0028,0010)"]
    assert meta["image"]["Photometric Interpretation"] == ref["(0028,0004)"]
    assert meta["misc"]["SOP Instance UID"] == ref["(0008,0018)"]
    assert meta["misc"]["Transfer Syntax"] == ref["(0002,0010)"]
    assert "Birth Date" not in meta["patient"]  # empty in the file: left out, as the seed does


@pytest.mark.parametrize("path", [CT, MR, RGB2], ids=lambda p: p.name)
def test_stats_match_numpy_and_the_cli(client, path):
    id = upload(client, path).json()["filename"]
    r = client.get(f"/api/stats/{id}")
    assert r.status_code == 200, r.text
    got, v = r.json(), values(path)
    assert got["shape"] == list(pydicom.dcmread(path).pixel_array.shape)
    assert got["total_pixels"] == v.size
    assert got["min"] == v.min() and got["max"] == v.max()
    assert got["mean"] == pytest.approx(v.mean(), rel=1e-12)
    assert got["std_dev"] == pytest.approx(v.std(), rel=1e-9)
    if v.ndim == 2 or pydicom.dcmread(path).SamplesPerPixel == 1:
        assert got["median"] == np.median(v)
    else:
        assert got["median"] is None  # not derivable from per-channel medians
    cli = cli_json("stats", path, "--json")
    assert got["total_pixels"] == sum(c["count"] for c in cli["channels"])


@pytest.mark.parametrize("path", [CT, RGB2], ids=lambda p: p.name)
@pytest.mark.parametrize("bins", [1, 7, 256])
def test_histogram_matches_numpy(client, path, bins):
    id = upload(client, path).json()["filename"]
    r = client.get(f"/api/histogram/{id}", params={"bins": bins})
    assert r.status_code == 200, r.text
    got, v = r.json(), values(path)
    counts, _ = np.histogram(v, bins=bins, range=(v.min(), v.max()))
    assert got["bins"] == counts.tolist()
    assert (got["min"], got["max"]) == (v.min(), v.max())
    if path == CT:
        cli = cli_json("histogram", path, "--json", "--bins", str(bins))
        assert got["bins"] == cli["channels"][0]["counts"]


def test_histogram_default_bins_is_256(client, ct_id):
    assert len(client.get(f"/api/histogram/{ct_id}").json()["bins"]) == 256


@pytest.mark.parametrize("bins", ["0", "-3", "ten", "1e3", str(10**9)])
def test_bad_bins_are_400(client, ct_id, bins):
    r = client.get(f"/api/histogram/{ct_id}", params={"bins": bins})
    assert r.status_code == 400, r.text
    assert r.json()["error"]


def _png(content: bytes) -> np.ndarray:
    img = Image.open(io.BytesIO(content))
    assert img.format == "PNG"
    return np.asarray(img)


@pytest.mark.parametrize(
    ("path", "query", "cli_args"),
    [
        (CT, {}, ["--frame", "0"]),
        (
            CT,
            {"wc": 40, "ww": 400},
            ["--frame", "0", "--window-center", "40", "--window-width", "400"],
        ),
        (RGB2, {"frame": 1}, ["--frame", "1"]),
    ],
    ids=["ct", "ct-window", "rgb-frame1"],
)
def test_image_is_the_cli_png(client, tmp_path, path, query, cli_args):
    id = upload(client, path).json()["filename"]
    r = client.get(f"/api/image/{id}", params=query)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "image/png"
    out = tmp_path / "cli.png"
    proc = run_cli("to-image", path, "-o", out, *cli_args)
    assert proc.returncode == 0, proc.stderr
    got = _png(r.content)
    assert np.array_equal(got, np.asarray(Image.open(out)))
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    assert got.shape[:2] == (ds.Rows, ds.Columns)


def test_image_default_is_the_first_frame(client):
    id = upload(client, RGB2).json()["filename"]
    first = client.get(f"/api/image/{id}", params={"frame": 0}).content
    assert _png(client.get(f"/api/image/{id}").content).tolist() == _png(first).tolist()


@pytest.mark.parametrize("query", [{"frame": 5}, {"frame": -1}, {"ww": 0, "wc": 1}, {"wc": "x"}])
def test_bad_image_options_are_400(client, ct_id, query):
    r = client.get(f"/api/image/{ct_id}", params=query)
    assert r.status_code == 400, r.text


def test_image_without_pixel_data_is_400(client):
    id = upload(client, RTPLAN).json()["filename"]
    r = client.get(f"/api/image/{id}")
    assert r.status_code == 400 and "pixel" in r.json()["error"].lower()


@BOTH
def test_anonymize_stores_a_new_instance(client, ct_id, tmp_path):
    r = client.post(f"/api/anonymize/{ct_id}")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["success"] is True and body["filename"] != ct_id
    assert client.app.state.store.count() == 2
    out = tmp_path / "anon.dcm"
    out.write_bytes(client.get(f"/api/download/{body['filename']}").content)
    before, after = dump(CT), dump(out)
    assert after["(0010,0010)"] != before["(0010,0010)"]
    assert after["(0008,0018)"] != before["(0008,0018)"]  # a new SOP Instance UID
    # the original is untouched
    assert hashlib.sha256(client.get(f"/api/download/{ct_id}").content).digest() == (
        hashlib.sha256(CT.read_bytes()).digest()
    )


@pytest.mark.parametrize("path", [CT, RTPLAN], ids=lambda p: p.name)
def test_validate_is_the_cli_verdict(client, path):
    id = upload(client, path).json()["filename"]
    r = client.get(f"/api/validate/{id}")
    assert r.status_code == 200
    got = r.json()
    assert set(got) == {"valid", "errors", "warnings", "missing_tags", "has_pixel_data"}
    cli = cli_json("validate", path, "--json")
    assert got["valid"] == cli["valid"]
    assert len(got["errors"]) == len(cli["errors"])
    assert len(got["warnings"]) == len(cli["warnings"])
    missing = [e["keyword"] or e["path"] for e in cli["errors"] if e["code"].startswith("missing")]
    assert sorted(got["missing_tags"]) == sorted(set(missing))
    assert got["has_pixel_data"] == ("(7FE0,0010)" in dump(path))


def test_json_is_the_cli_dicom_json(client, ct_id):
    r = client.get(f"/api/json/{ct_id}")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    got = r.json()
    proc = run_cli("to-json", CT, "-o", "-")
    assert got == json.loads(proc.stdout)
    assert got["00100020"]["Value"] == [dump(CT)["(0010,0020)"]]


@BOTH
def test_download_is_the_stored_file(client, ct_id):
    r = client.get(f"/api/download/{ct_id}")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/dicom"
    assert r.headers["content-disposition"] == f'attachment; filename="{ct_id}.dcm"'
    assert r.content == CT.read_bytes()


def test_openapi_documents_every_route(client):
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    for route in ("upload", "metadata/{id}", "stats/{id}", "histogram/{id}", "image/{id}",
                  "anonymize/{id}", "validate/{id}", "json/{id}", "download/{id}"):  # fmt: skip
        assert f"/api/{route}" in paths
    assert "multipart/form-data" in paths["/api/upload"]["post"]["requestBody"]["content"]


# --- ids and hostile input ---------------------------------------------------------------------

ROUTES = ["metadata", "stats", "histogram", "image", "validate", "json", "download"]
BAD_IDS = [
    "..%2F..%2F..%2Fetc%2Fpasswd",
    "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "%252e%252e%252fetc%252fpasswd",
    "..%5c..%5cwindows",
    "..",
    "%00",
    "0C2C7BDAFB39176A34709965BE7922D4",  # upper case: not one of our ids
    "0c2c7bdafb39176a34709965be7922d",  # 31 digits
    "0c2c7bdafb39176a34709965be7922d4%00",
    "blobs",
]


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("bad", BAD_IDS)
def test_bad_ids_are_400_or_404(client, route, bad):
    r = client.get(f"/api/{route}/{bad}")
    assert r.status_code in (400, 404), (r.status_code, r.text)
    assert r.json()["error"]
    assert "root:" not in r.text


def test_traversal_in_the_raw_path_never_leaves_the_api(client):
    r = client.get("/api/download/../../../../etc/passwd")
    assert r.status_code == 404 and "root:" not in r.text


def test_an_unknown_id_is_404(client):
    r = client.get(f"/api/metadata/{'0' * 32}")
    assert r.status_code == 404 and r.json() == {"error": f"no instance {'0' * 32}", "status": 404}
    assert client.post(f"/api/anonymize/{'0' * 32}").status_code == 404


def _truncated(tmp_path):
    data = CT.read_bytes()
    p = tmp_path / "half.dcm"
    p.write_bytes(data[: len(data) // 2])
    return p


@BOTH
@pytest.mark.parametrize(
    "make",
    [
        lambda t: (t / "text.dcm", b"hello, this is not DICOM\n" * 10),
        lambda t: (t / "empty.dcm", b""),
        lambda t: (t / "prefix.dcm", b"\0" * 128 + b"DICM"),
        lambda t: (_truncated(t), None),
        lambda t: (TEST_FILES / "MR_truncated.dcm", None),
        lambda t: (TEST_FILES / "no_meta.dcm", None),
    ],
    ids=["text", "empty", "prefix-only", "truncated", "MR_truncated", "no_meta"],
)
def test_bad_dicom_uploads_are_400_and_store_nothing(client, tmp_path, make):
    path, data = make(tmp_path)
    if data is not None:
        path.write_bytes(data)
    r = upload(client, path)
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["status"] == 400 and "Traceback" not in body["error"]
    assert client.app.state.store.count() == 0


def test_upload_errors_do_not_show_server_paths(client, tmp_path):
    p = tmp_path / "text.dcm"
    p.write_bytes(b"not DICOM")
    r = upload(client, p)
    assert "/blobs/" not in r.json()["error"]


@pytest.mark.parametrize(
    ("kwargs", "status"),
    [
        ({"content": CT.read_bytes(), "headers": {"content-type": "application/dicom"}}, 415),
        ({"json": {"file": "x"}}, 415),
        ({"content": b"x", "headers": {"content-type": "text/plain"}}, 415),
        ({"files": {"other": ("a.dcm", b"x", "application/dicom")}}, 400),
        ({"files": {"file": (None, b"not a file part")}}, 400),
        ({"data": {"file": "x"}}, 415),  # urlencoded
        ({"files": [("file", ("a.dcm", b"x")), ("file", ("b.dcm", b"y"))]}, 400),
    ],
    ids=["raw-dicom", "json", "text", "other-field", "text-field", "urlencoded", "two-files"],
)
def test_wrong_upload_shapes(client, kwargs, status):
    r = client.post("/api/upload", **kwargs)
    assert r.status_code == status, r.text
    assert r.json()["status"] == status


def test_uploads_over_the_limit_are_413(tmp_path):
    big = tmp_path / "big.dcm"
    big.write_bytes(CT.read_bytes() + b"\0" * (1024 * 1024))  # over 1 MiB
    with make_client(tmp_path, max_upload_mb=1) as client:
        r = upload(client, big)
        assert r.status_code == 413 and r.json()["status"] == 413
        assert upload(client, CT).status_code == 200  # under the limit: fine

        def chunks():  # no Content-Length: counted as it streams
            boundary = b"--b\r\n"
            yield boundary + b'Content-Disposition: form-data; name="file"; filename="x"\r\n\r\n'
            for _ in range(40):
                yield b"\0" * 65536
            yield b"\r\n--b--\r\n"

        r = client.post(
            "/api/upload",
            content=chunks(),
            headers={"content-type": "multipart/form-data; boundary=b"},
        )
        assert r.status_code == 413, r.text
        assert client.app.state.store.count() == 1


def test_an_unexpected_error_is_a_bare_500(client, ct_id, monkeypatch, caplog):
    from dicom_tools.web import api

    def boom(*a, **k):
        raise RuntimeError("Secret^Patient 1.2.3.4")

    monkeypatch.setattr(api, "run", boom)
    r = client.get(f"/api/metadata/{ct_id}")
    assert r.status_code == 500
    assert r.json() == {"error": "internal error", "status": 500}
    assert "Secret" not in caplog.text and "1.2.3.4" not in caplog.text
