"""The bind rule and the other start-up checks of ``dicom-tools web`` (Settings.check)."""

from __future__ import annotations

import pytest

from dicom_tools.errors import UsageError
from dicom_tools.web.settings import Settings, is_loopback


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "localhost", "::1", "[::1]"])
def test_loopback_needs_no_token(host):
    assert is_loopback(host)
    Settings(host=host).check()


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10", "example.org"])
def test_other_addresses_need_a_token_or_insecure(host):
    assert not is_loopback(host)
    with pytest.raises(UsageError) as err:
        Settings(host=host).check()
    text = err.value.render("cli")
    assert "--token" in text and "--insecure" in text and host in text
    Settings(host=host, token="s3cret").check()
    Settings(host=host, insecure=True).check()


@pytest.mark.parametrize(
    "bad",
    [
        {"token": "t", "insecure": True},
        {"token": ""},
        {"token": " t "},
        {"port": 70000},
        {"workers": 0},
        {"max_upload_mb": 0},
        {"cors": ("viewer.example.org",)},
    ],
)
def test_bad_settings_are_usage_errors(bad):
    with pytest.raises(UsageError):
        Settings(**bad).check()


def test_settings_travel_to_worker_processes():
    s = Settings(host="0.0.0.0", token="t", cors=("https://a.example",), workers=3)
    assert Settings.from_env(s.to_env()) == s
