"""``dicom-tools web`` as a real uvicorn process on 127.0.0.1: start-up, samples, the bind and
token refusals, the exit codes, a closed stdout, and a clean stop on SIGINT/SIGTERM.

A stop is graceful (uvicorn finishes the requests in flight and runs the lifespan's shutdown,
which closes the store), then the process ends: Ctrl-C is a requested stop (exit 0), SIGTERM
the signal's own death (uvicorn re-raises it), as service managers expect.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest
from conftest import TEST_FILES

CT = TEST_FILES / "CT_small.dcm"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def web(*args, **kw) -> subprocess.Popen:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("DICOM_TOOLS_WEB_TOKEN", None)
    return subprocess.Popen(
        [sys.executable, "-m", "dicom_tools", "web", *map(str, args)],
        stdout=kw.pop("stdout", subprocess.PIPE),
        stderr=subprocess.PIPE,
        env={**env, **kw.pop("env", {})},
        **kw,
    )


def wait_up(url: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise AssertionError(f"server exited {proc.returncode}: {proc.stderr.read().decode()}")
        try:
            if httpx.get(url + "openapi.json", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise AssertionError("server did not come up")


def stop(proc: subprocess.Popen, sig=signal.SIGINT) -> tuple[int, str]:
    proc.send_signal(sig)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    return proc.returncode, proc.stderr.read().decode()


STOPPED = {signal.SIGINT: 0, signal.SIGTERM: -signal.SIGTERM}


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_serves_its_samples_and_stops_cleanly(tmp_path, sig):
    port = free_port()
    proc = web("--port", port, "--data-dir", tmp_path)
    url = f"http://127.0.0.1:{port}/"
    try:
        line = proc.stdout.readline().decode()
        assert url in line and "4 instances" in line, line
        wait_up(url, proc)
        with open(CT, "rb") as f:
            r = httpx.post(url + "api/upload", files={"file": ("ct.dcm", f)}, timeout=30)
        assert r.status_code == 200, r.text
        id = r.json()["filename"]
        assert httpx.get(f"{url}api/download/{id}", timeout=30).content == CT.read_bytes()
    finally:
        code, err = stop(proc, sig)
    assert code == STOPPED[sig], err
    assert "Traceback" not in err
    # the samples come once: a second start on the same folder adds none
    proc = web("--port", port, "--data-dir", tmp_path)
    try:
        assert "4 instances" in proc.stdout.readline().decode()  # CT_small was a sample
        wait_up(url, proc)
    finally:
        assert stop(proc)[0] == STOPPED[signal.SIGINT]


@pytest.mark.parametrize("host", ["0.0.0.0", "::"])
def test_refuses_an_open_address_without_a_token(tmp_path, host):
    proc = subprocess.run(
        [sys.executable, "-m", "dicom_tools", "web", "--host", host, "--data-dir", tmp_path],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dicom-tools web: error: refusing")
    assert "--token" in lines[0] and "--insecure" in lines[0]
    assert not (tmp_path / "index.sqlite").exists() and not any(tmp_path.iterdir())


def test_token_and_insecure_exclude_each_other(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "dicom_tools", "web", "--token", "t", "--insecure"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2 and "not allowed with" in proc.stderr


def test_a_port_in_use_is_one_line_and_exit_2(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        args = ["web", "--port", str(port), "--data-dir", str(tmp_path)]
        proc = subprocess.run(
            [sys.executable, "-m", "dicom_tools", *args],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1 and f"127.0.0.1:{port}" in proc.stderr


def test_an_open_address_with_a_token_requires_it(tmp_path):
    port = free_port()
    proc = web(
        "--host", "0.0.0.0", "--port", port, "--data-dir", tmp_path,
        env={"DICOM_TOOLS_WEB_TOKEN": "from-the-env"},
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_up(url, proc)
        probe = f"{url}api/metadata/{'0' * 32}"
        assert httpx.get(probe, timeout=10).status_code == 401
        auth = {"Authorization": "Bearer from-the-env"}
        assert httpx.get(probe, headers=auth, timeout=10).status_code == 404
    finally:
        assert stop(proc)[0] == STOPPED[signal.SIGINT]


def test_a_closed_stdout_does_not_stop_the_server(tmp_path):
    read_end, write_end = os.pipe()
    os.close(read_end)
    port = free_port()
    try:
        proc = web("--port", port, "--data-dir", tmp_path, stdout=write_end)
    finally:
        os.close(write_end)
    try:
        wait_up(f"http://127.0.0.1:{port}/", proc)
    finally:
        code, err = stop(proc)
    assert code == STOPPED[signal.SIGINT] and "Traceback" not in err and "BrokenPipe" not in err, (
        err
    )


def test_help_explains_every_option():
    proc = subprocess.run(
        [sys.executable, "-m", "dicom_tools", "web", "--help"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0
    for flag in ("--host", "--port", "--data-dir", "--database-url", "--token", "--insecure",
                 "--max-upload-mb", "--cors", "--workers"):  # fmt: skip
        assert flag in proc.stdout
    top = subprocess.run(
        [sys.executable, "-m", "dicom_tools", "--help"], capture_output=True, text=True, timeout=60
    )
    assert "web" in top.stdout.split("options:")[0]


WEB_STACK = {"fastapi", "starlette", "uvicorn", "sqlalchemy", "pydantic", "anyio", "httpx"}


@pytest.mark.parametrize("args", [["--help"], ["info", str(CT)], ["ops"], ["web", "--help"]])
def test_the_web_stack_loads_only_for_the_server(args):
    script = "import sys; from dicom_tools.cli import main; sys.exit(main())"
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", script, *args],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    imported = {
        line.rsplit("|", 1)[-1].strip().split(".")[0]
        for line in proc.stderr.splitlines()
        if line.startswith("import time:")
    }
    assert not WEB_STACK & imported, WEB_STACK & imported
