"""The bearer token, CORS only when asked, and the constant-time comparison."""

from __future__ import annotations

import pytest
from conftest import TEST_FILES
from webclient import make_client, upload

from dicom_tools.web.security import token_matches

CT = TEST_FILES / "CT_small.dcm"
TOKEN = "s3cret-token"


@pytest.fixture
def guarded(tmp_path):
    with make_client(tmp_path, token=TOKEN) as c:
        yield c


@pytest.mark.parametrize(
    "header",
    [None, "", "Bearer", "Bearer ", "Bearer wrong", f"Basic {TOKEN}", f"Bearer {TOKEN}x", TOKEN],
)
def test_every_api_call_needs_the_token(guarded, header):
    headers = {} if header is None else {"Authorization": header}
    for method, path in [
        ("get", f"/api/metadata/{'0' * 32}"),
        ("post", "/api/upload"),
        ("get", "/dicomweb/studies"),  # the DICOMweb routes sit behind the same guard
        ("get", "/api/no-such-route"),
    ]:
        r = getattr(guarded, method)(path, headers=headers)
        assert r.status_code == 401, (path, r.status_code)
        assert r.headers["www-authenticate"].startswith("Bearer")
        assert r.json()["status"] == 401
    assert guarded.app.state.store.count() == 0


def test_the_right_token_opens_the_api(guarded):
    auth = {"Authorization": f"Bearer {TOKEN}"}
    r = upload(guarded, CT, headers=auth)
    assert r.status_code == 200, r.text
    r = guarded.get(f"/api/download/{r.json()['filename']}", headers=auth)
    assert r.content == CT.read_bytes()
    lower = {"Authorization": f"bearer {TOKEN}"}  # the scheme is case-insensitive (RFC 7235)
    assert guarded.get(f"/api/metadata/{'0' * 32}", headers=lower).status_code == 404


def test_the_documentation_stays_open(guarded):
    assert guarded.get("/docs").status_code == 200
    assert guarded.get("/openapi.json").status_code == 200


def test_token_matches_uses_constant_time_compare(monkeypatch):
    import hmac

    calls = []
    real = hmac.compare_digest
    monkeypatch.setattr(hmac, "compare_digest", lambda a, b: calls.append((a, b)) or real(a, b))
    assert token_matches(b"Bearer abc", "abc")
    assert not token_matches(b"Bearer abd", "abc")
    assert calls == [(b"abc", b"abc"), (b"abd", b"abc")]
    assert not token_matches(None, "abc")


PREFLIGHT = {
    "Origin": "https://viewer.example.org",
    "Access-Control-Request-Method": "GET",
    "Access-Control-Request-Headers": "authorization",
}


def test_no_cors_unless_asked(tmp_path):
    with make_client(tmp_path) as c:
        r = c.options("/api/upload", headers=PREFLIGHT)
        assert "access-control-allow-origin" not in r.headers
        r = c.get(f"/api/metadata/{'0' * 32}", headers={"Origin": PREFLIGHT["Origin"]})
        assert "access-control-allow-origin" not in r.headers


def test_cors_preflight_allows_authorization(tmp_path):
    with make_client(tmp_path, token=TOKEN, cors=(PREFLIGHT["Origin"],)) as c:
        r = c.options("/dicomweb/studies", headers=PREFLIGHT)  # no token on a preflight
        assert r.status_code == 200, r.text
        assert r.headers["access-control-allow-origin"] == PREFLIGHT["Origin"]
        assert "authorization" in r.headers["access-control-allow-headers"].lower()
        r = c.get(
            f"/api/metadata/{'0' * 32}",
            headers={"Origin": PREFLIGHT["Origin"], "Authorization": f"Bearer {TOKEN}"},
        )
        assert r.status_code == 404
        assert r.headers["access-control-allow-origin"] == PREFLIGHT["Origin"]
        other = {**PREFLIGHT, "Origin": "https://evil.example"}
        assert "access-control-allow-origin" not in c.options("/api/upload", headers=other).headers
