"""Load benchmark of `dicom-tools web` (issue 12, section 6): STOW, QIDO and WADO under load.

    python benchmarks/bench_web.py [--quick] [--workers 1 2] [--databases sqlite postgres]
                                   [--clients 8] [--before SRC]

A real server process (`dicom-tools web` on 127.0.0.1, a free port, a fresh data dir) on
SQLite, then on PostgreSQL (a throw-away cluster this script starts with tests/postgres.py's
helper, fsync ON: the test server turns it off for speed, a benchmark must not). The instances
are synthesised from a real 512 x 512 CT slice (693_UNCI.dcm) with new UIDs: 20 patients x 1
study x 2 series x 25 instances (1,000; ``--quick``: 4 x 1 x 2 x 10), each study with its own
Patient ID and StudyDate. Phases, each with ``--clients`` threads (one requests.Session each)
on the same machine as the server:

1. STOW-RS one instance per request (multipart/related; type="application/dicom");
2. QIDO check that every instance sent is there once (none lost, none duplicated);
3. on a fresh store (new data dir, new database), STOW ten instances per request, and the
   same check; the next phases run on this store;
4. a QIDO mix, in turn: studies of a PatientID, studies in a StudyDate range, series of a
   study, instances of a series; every answer checked against what was sent;
5. single-instance WADO-RS retrievals (every instance once, multipart/related as stored), each
   body compared with the file sent.

Reported per phase, database and worker count: instances (or queries or retrievals) per
second, MB/s (10^6 bytes), p50/p95/p99 latency of the requests, next to Orthanc 1.10's numbers
from the issue and its targets (met/MISSED). Writes benchmarks/README.md (RESULTS:web).
"""

from __future__ import annotations

import argparse
import datetime
import itertools
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common import (
    BIN,
    WORK_ROOT,
    Tree,
    add_before_option,
    corpus_file,
    fresh_dir,
    load_average,
    machine,
    md_table,
    report_results,
    trees,
)

SECTION = """## web: DICOMweb under load (STOW, QIDO, WADO)

`.venv/bin/python benchmarks/bench_web.py` (issue 12, section 6; `--quick` for a smoke run,
`--help` for the options): a real `dicom-tools web` process on SQLite and on PostgreSQL (a
throw-away cluster with fsync on), 1,000 instances synthesised from a 512 x 512 CT slice with
new UIDs (20 patients x 2 series x 25), stored by STOW-RS with 8 concurrent clients one
instance per request, then (fresh store) ten per request, checked by QIDO (none lost or
duplicated); then a QIDO mix and single-instance WADO-RS retrievals, 8 clients each. The
clients run on the same 2-core machine as the server, as in the issue's Orthanc measurement."""

# Orthanc 1.10 with its DICOMweb plugin, measured by the issue with these phases on this kind of
# machine: (rate, MB/s, p50, p95, p99) with None where the issue gives no number.
ORTHANC = {
    "stow1": (173, None, 42, None, 95),
    "stow10": (243, None, None, None, None),
    "qido": (85, None, 51, 271, 306),
    "wado": (222, 117, 37, None, 81),
}
QIDO_P99_TARGET_MS = 150
DICOM = "application/dicom"
DICOM_JSON = "application/dicom+json"
PHASE_NAMES = {
    "stow1": "STOW, 1 instance per request",
    "stow10": "STOW, 10 instances per request",
    "qido": "QIDO mix",
    "wado": "WADO, single instances",
}
UNITS = {"stow1": "instances/s", "stow10": "instances/s", "qido": "queries/s", "wado": "/s"}


# --- the instances ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Instance:
    path: Path
    patient_id: str
    study: str
    series: str
    sop: str
    study_date: str
    size: int


def synthesise(patients: int, series: int, per_series: int, folder: Path) -> list[Instance]:
    """``patients`` x 1 study x ``series`` x ``per_series`` instances from one real CT slice,
    each with new UIDs; patient p's study is dated 2020-01-01 + 7p days. Written to ``folder``."""
    from pydicom import dcmread
    from pydicom.uid import generate_uid

    fresh_dir(folder)
    ds = dcmread(corpus_file("693_UNCI.dcm"))
    z0 = float(ds.get("ImagePositionPatient", [0, 0, 0])[2])
    out = []
    n = 0
    for p in range(patients):
        patient_id = f"BENCH{p:03d}"
        date = (datetime.date(2020, 1, 1) + datetime.timedelta(days=7 * p)).strftime("%Y%m%d")
        ds.PatientID, ds.PatientName = patient_id, f"Bench^Patient{p:03d}"
        ds.StudyInstanceUID, ds.StudyDate, ds.StudyID = generate_uid(), date, f"S{p}"
        ds.AccessionNumber = f"ACC{p:05d}"
        for s in range(series):
            ds.SeriesInstanceUID, ds.SeriesNumber = generate_uid(), s + 1
            for i in range(per_series):
                ds.SOPInstanceUID = generate_uid()
                ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
                ds.InstanceNumber = i + 1
                if "ImagePositionPatient" in ds:
                    ds.ImagePositionPatient[2] = z0 + i
                n += 1
                path = folder / f"i{n:05d}.dcm"
                ds.save_as(path)
                out.append(
                    Instance(
                        path,
                        patient_id,
                        ds.StudyInstanceUID,
                        ds.SeriesInstanceUID,
                        ds.SOPInstanceUID,
                        date,
                        path.stat().st_size,
                    )
                )
    return out


# --- the server --------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`dicom-tools web` in a child process on a fresh data dir (and database)."""

    def __init__(
        self,
        tree: Tree,
        data_dir: Path,
        database_url: str | None,
        workers: int,
        profile: Path | None = None,
    ) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}/dicomweb"
        cmd = [str(BIN / "dicom-tools"), "web", "--port", str(self.port)]
        cmd += ["--data-dir", str(data_dir), "--workers", str(workers)]
        if database_url:
            cmd += ["--database-url", database_url]
        self.cmd = cmd
        self.log = data_dir.parent / f"{data_dir.name}.log"
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(
                self._wrapped(cmd, profile), stdout=log, stderr=subprocess.STDOUT, env=tree.env
            )
        self._wait_ready()

    @staticmethod
    def _wrapped(cmd: list[str], profile: Path | None) -> list[str]:
        """``cmd`` under py-spy (every thread and worker process sampled) with a profile."""
        if profile is None:
            return cmd
        spy = os.environ.get("PY_SPY", "py-spy")
        return [spy, "record", "--subprocesses", "--format", "raw", "-o", str(profile), "--", *cmd]

    def _wait_ready(self) -> None:
        import requests

        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"the server ended ({self.proc.returncode}):\n{self.log_text()}")
            try:
                r = requests.get(f"{self.url}/studies?limit=1", timeout=5)
                if r.status_code in (200, 204):
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        self.stop()
        raise SystemExit(f"the server did not answer within 120 s:\n{self.log_text()}")

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


class Postgres:
    """A throw-away PostgreSQL cluster (tests/postgres.py) with fsync, synchronous commit and
    full page writes ON, as a production server has them."""

    def __init__(self) -> None:
        import postgres  # tests/postgres.py (common put tests/ on sys.path)

        postgres._SERVER_OPTIONS = "-c listen_addresses=127.0.0.1 -c max_connections=200"
        self.server = postgres.PostgresServer.start()
        self._names = itertools.count(1)

    def database(self) -> str:
        return self.server.create_database(f"bench_{os.getpid()}_{next(self._names)}")

    def fsync(self) -> str:
        import psycopg

        dsn = f"host=127.0.0.1 port={self.server.port} user=postgres dbname=postgres"
        with psycopg.connect(dsn) as conn:
            return "/".join(
                conn.execute(f"SHOW {name}").fetchone()[0]
                for name in ("fsync", "synchronous_commit", "full_page_writes")
            )

    def stop(self) -> None:
        self.server.stop()


# --- the load ----------------------------------------------------------------------------------


@dataclass
class Phase:
    """What one phase measured: requests' latencies (s), items done, bytes moved, wall time,
    and the problems seen (a wrong status or answer)."""

    wall: float = 0.0
    items: int = 0
    bytes: int = 0
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lost: int | None = None
    duplicated: int | None = None

    def rate(self) -> float:
        return self.items / self.wall if self.wall else 0.0

    def mbps(self) -> float:
        return self.bytes / self.wall / 1e6 if self.wall else 0.0

    def percentile(self, q: int) -> float:
        if len(self.latencies) < 2:
            return self.latencies[0] if self.latencies else 0.0
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[q - 1]


def run_load(
    jobs: Sequence[Any],
    request: Callable[[Any, Any], tuple[int, int]],
    clients: int,
) -> Phase:
    """Run ``request(session, job)`` for every job with ``clients`` threads (each its own
    requests.Session, taking the next job when done). ``request`` returns (items, bytes) or
    raises AssertionError with what was wrong; the latency of each call is recorded."""
    import requests

    phase = Phase()
    lock = threading.Lock()
    todo = iter(jobs)
    start = threading.Barrier(clients + 1)

    def client() -> None:
        session = requests.Session()
        start.wait()
        while True:
            with lock:
                job = next(todo, None)
            if job is None:
                break
            t0 = time.perf_counter()
            try:
                items, size = request(session, job)
                error = None
            except (AssertionError, requests.RequestException) as exc:
                items, size, error = 0, 0, f"{type(exc).__name__}: {exc}"[:300]
            elapsed = time.perf_counter() - t0
            with lock:
                phase.latencies.append(elapsed)
                phase.items += items
                phase.bytes += size
                if error:
                    phase.errors.append(error)
        session.close()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for t in threads:
        t.start()
    start.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    phase.wall = time.perf_counter() - t0
    return phase


def stow(url: str, per_request: int) -> Callable[[Any, list[Instance]], tuple[int, int]]:
    def request(session: Any, batch: list[Instance]) -> tuple[int, int]:
        boundary = uuid.uuid4().hex
        chunks = []
        for inst in batch:
            chunks += [f"--{boundary}\r\nContent-Type: {DICOM}\r\n\r\n".encode(), b"", b"\r\n"]
            chunks[-2] = inst.path.read_bytes()
        chunks.append(f"--{boundary}--\r\n".encode())
        body = b"".join(chunks)
        ctype = f'multipart/related; type="{DICOM}"; boundary={boundary}'
        r = session.post(
            f"{url}/studies",
            data=body,
            headers={"Content-Type": ctype, "Accept": DICOM_JSON},
            timeout=120,
        )
        assert r.status_code == 200, f"STOW answered {r.status_code}: {r.text[:200]}"
        answer = r.json()
        refs = answer.get("00081199", {}).get("Value", [])
        assert len(refs) == len(batch), f"{len(refs)} of {len(batch)} referenced"
        assert "00081198" not in answer, "a Failed SOP Sequence"
        return len(batch), len(body)

    return request


def _values(entry: dict[str, Any], tag: str) -> list[Any]:
    return entry.get(tag, {}).get("Value", [])


def check_stored(url: str, sent: Sequence[Instance]) -> tuple[int, int]:
    """(lost, duplicated) among ``sent``, from a QIDO search of every instance (paged)."""
    import requests

    found: dict[str, int] = {}
    offset, page = 0, 5000
    with requests.Session() as session:
        while True:
            r = session.get(
                f"{url}/instances",
                params={"limit": page, "offset": offset},
                headers={"Accept": DICOM_JSON},
                timeout=300,
            )
            if r.status_code == 204:
                break
            r.raise_for_status()
            entries = r.json()
            for entry in entries:
                for uid in _values(entry, "00080018"):
                    found[uid] = found.get(uid, 0) + 1
            if len(entries) < page:
                break
            offset += page
    lost = sum(1 for inst in sent if inst.sop not in found)
    duplicated = sum(found.get(inst.sop, 0) - 1 for inst in sent if found.get(inst.sop, 0) > 1)
    return lost, duplicated


def qido_jobs(sent: Sequence[Instance], count: int) -> list[tuple[str, dict[str, str], int]]:
    """``count`` queries, the four kinds in turn, each (path, parameters, expected count)."""
    studies: dict[str, list[Instance]] = {}
    for inst in sent:
        studies.setdefault(inst.study, []).append(inst)
    study_list = list(studies.values())
    dates = sorted({inst.study_date for inst in sent})
    jobs: list[tuple[str, dict[str, str], int]] = []
    for n in range(count):
        group = study_list[(n // 4) % len(study_list)]
        first = group[0]
        kind = n % 4
        if kind == 0:
            jobs.append(("/studies", {"PatientID": first.patient_id}, 1))
        elif kind == 1:  # a range of three study dates (fewer at the end of the list)
            i = dates.index(first.study_date)
            span = dates[i : i + 3]
            jobs.append(("/studies", {"StudyDate": f"{span[0]}-{span[-1]}"}, len(span)))
        elif kind == 2:
            series = {inst.series for inst in group}
            jobs.append((f"/studies/{first.study}/series", {}, len(series)))
        else:
            one = [inst for inst in group if inst.series == first.series]
            path = f"/studies/{first.study}/series/{first.series}/instances"
            jobs.append((path, {}, len(one)))
    return jobs


def qido(url: str) -> Callable[[Any, tuple[str, dict[str, str], int]], tuple[int, int]]:
    def request(session: Any, job: tuple[str, dict[str, str], int]) -> tuple[int, int]:
        path, params, expected = job
        r = session.get(url + path, params=params, headers={"Accept": DICOM_JSON}, timeout=60)
        assert r.status_code == 200, f"QIDO {path} answered {r.status_code}"
        got = len(r.json())
        assert got == expected, f"QIDO {path} {params}: {got} results, {expected} expected"
        return 1, len(r.content)

    return request


def wado(url: str) -> Callable[[Any, Instance], tuple[int, int]]:
    accept = f'multipart/related; type="{DICOM}"'

    def request(session: Any, inst: Instance) -> tuple[int, int]:
        path = f"/studies/{inst.study}/series/{inst.series}/instances/{inst.sop}"
        r = session.get(url + path, headers={"Accept": accept}, timeout=60)
        assert r.status_code == 200, f"WADO answered {r.status_code}"
        body = r.content
        boundary = re.search(r"boundary=\"?([^\";]+)", r.headers["content-type"]).group(1)
        head_end = body.index(b"\r\n\r\n") + 4
        tail = body.rindex(b"\r\n--" + boundary.encode() + b"--")
        assert body[head_end:tail] == inst.path.read_bytes(), "the instance differs"
        return 1, len(body)

    return request


# --- one run: a database, a worker count ---------------------------------------------------------


@dataclass
class Run:
    database: str
    workers: int
    tree: str
    phases: dict[str, Phase]


def batches(items: Sequence[Instance], size: int) -> list[list[Instance]]:
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def run_one(
    tree: Tree,
    database: str,
    workers: int,
    sent: list[Instance],
    args: argparse.Namespace,
    pg: Postgres | None,
) -> Run:
    phases: dict[str, Phase] = {}
    root = WORK_ROOT / "web" / "stores"
    root.mkdir(parents=True, exist_ok=True)
    label = f"{tree.name}-{database}-w{workers}"
    profile_dir = args.profile

    def server(phase: str) -> Server:
        data_dir = fresh_dir(root / f"{label}-{phase}")
        url = pg.database() if pg is not None else None
        prof = profile_dir / f"{label}-{phase}.txt" if profile_dir else None
        return Server(tree, data_dir, url, workers, prof)

    # 1. one instance per request; 2. the check
    with server("stow1") as srv:
        phase = run_load(batches(sent, 1), stow(srv.url, 1), args.clients)
        phase.lost, phase.duplicated = check_stored(srv.url, sent)
        phases["stow1"] = phase
        report_phase(label, "stow1", phase)
    # 3. ten per request on a fresh store; 4. QIDO and 5. WADO on that store
    with server("stow10") as srv:
        phase = run_load(batches(sent, 10), stow(srv.url, 10), args.clients)
        phase.lost, phase.duplicated = check_stored(srv.url, sent)
        phases["stow10"] = phase
        report_phase(label, "stow10", phase)
        phases["qido"] = run_load(qido_jobs(sent, args.queries), qido(srv.url), args.clients)
        report_phase(label, "qido", phases["qido"])
        phases["wado"] = run_load(sent, wado(srv.url), args.clients)
        report_phase(label, "wado", phases["wado"])
    return Run(database, workers, tree.name, phases)


def report_phase(label: str, name: str, phase: Phase) -> None:
    checks = "" if phase.lost is None else f", lost {phase.lost}, duplicated {phase.duplicated}"
    print(
        f"{label} {name}: {phase.rate():.0f}/s, {phase.mbps():.0f} MB/s, p50/p95/p99 "
        f"{phase.percentile(50) * 1000:.0f}/{phase.percentile(95) * 1000:.0f}/"
        f"{phase.percentile(99) * 1000:.0f} ms, {len(phase.errors)} errors{checks}",
        flush=True,
    )
    for error in phase.errors[:5]:
        print("   ", error, flush=True)


# --- the table ---------------------------------------------------------------------------------


def verdict(name: str, phase: Phase) -> tuple[str, str]:
    """(the target, 'met' or 'MISSED ...')."""
    rate, mbps, *_ = ORTHANC[name]
    missed = []
    target = [f">= {rate} {UNITS[name] if name != 'wado' else 'retrievals/s'}"]
    if phase.rate() < rate:
        missed.append("rate")
    if mbps is not None:
        target.append(f">= {mbps} MB/s")
        if phase.mbps() < mbps:
            missed.append("MB/s")
    if name == "qido":
        target.append(f"p99 < {QIDO_P99_TARGET_MS} ms")
        if phase.percentile(99) * 1000 >= QIDO_P99_TARGET_MS:
            missed.append("p99")
    if phase.lost is not None:
        target.append("0 lost/duplicated")
        if phase.lost or phase.duplicated:
            missed.append("lost/duplicated")
    if phase.errors:
        missed.append(f"{len(phase.errors)} failed requests")
    return ", ".join(target), "met" if not missed else "MISSED (" + ", ".join(missed) + ")"


def ms(x: float | None) -> str:
    return "" if x is None else f"{x * 1000:.0f}"


def table(runs: Iterable[Run], show_tree: bool) -> list[str]:
    header = ["phase", "database", "workers"] + (["tree"] if show_tree else [])
    header += ["rate", "MB/s", "p50 ms", "p95 ms", "p99 ms", "lost/dup", "target", "verdict"]
    rows = []
    runs = list(runs)
    for name in ORTHANC:
        rate, mbps, p50, p95, p99 = ORTHANC[name]
        unit = UNITS[name] if name != "wado" else "retrievals/s"
        rows.append(
            [f"**{PHASE_NAMES[name]}**", "Orthanc 1.10 (issue)", ""]
            + ([""] if show_tree else [])
            + [
                f"{rate} {unit}",
                "" if mbps is None else str(mbps),
                "" if p50 is None else str(p50),
                "" if p95 is None else str(p95),
                "" if p99 is None else str(p99),
                "0" if name.startswith("stow") else "",
                "",
                "",
            ]
        )
        for run in runs:
            phase = run.phases[name]
            target, met = verdict(name, phase)
            lost = "" if phase.lost is None else f"{phase.lost}/{phase.duplicated}"
            rows.append(
                ["", run.database, str(run.workers)]
                + ([run.tree] if show_tree else [])
                + [
                    f"{phase.rate():.0f} {unit}",
                    f"{phase.mbps():.1f}",
                    ms(phase.percentile(50)),
                    ms(phase.percentile(95)),
                    ms(phase.percentile(99)),
                    lost,
                    target,
                    met,
                ]
            )
    n = len(header)
    return md_table(header, rows, right=set(range(n - 8, n - 2)))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a small smoke run (80 instances)")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="server processes")
    ap.add_argument(
        "--databases", nargs="+", default=["sqlite", "postgres"], choices=["sqlite", "postgres"]
    )
    ap.add_argument("--clients", type=int, default=8, help="concurrent clients (threads)")
    ap.add_argument("--queries", type=int, help="QIDO queries (default 1000; --quick 200)")
    ap.add_argument(
        "--profile",
        type=Path,
        help="a folder: sample the servers with py-spy ($PY_SPY or py-spy on PATH) into it",
    )
    ap.add_argument("--no-readme", action="store_true", help="print the results only")
    add_before_option(ap)
    args = ap.parse_args()
    shape = (4, 2, 10) if args.quick else (20, 2, 25)
    if args.queries is None:
        args.queries = 200 if args.quick else 1000
    if args.profile:
        fresh_dir(args.profile)
    tree_list = trees(args.before)
    t0 = time.perf_counter()
    sent = synthesise(*shape, WORK_ROOT / "web" / "instances")
    size = sum(i.size for i in sent)
    print(f"{len(sent)} instances, {size / 1e6:.0f} MB, in {time.perf_counter() - t0:.1f} s")
    runs: list[Run] = []
    pg = Postgres() if "postgres" in args.databases else None
    pg_settings = pg.fsync() if pg else ""
    try:
        for database in args.databases:
            for workers in args.workers:
                for tree in tree_list:
                    runs.append(
                        run_one(
                            tree,
                            database,
                            workers,
                            sent,
                            args,
                            pg if database == "postgres" else None,
                        )
                    )
    finally:
        if pg is not None:
            pg.stop()
        shutil.rmtree(WORK_ROOT / "web" / "stores", ignore_errors=True)
    packages = (
        ["fastapi", "uvicorn", "sqlalchemy", "psycopg"]
        if pg
        else ["fastapi", "uvicorn", "sqlalchemy"]
    )
    lines = [
        f"Machine: {machine(packages=packages)}; load average {load_average()} at the end",
        "",
        f"{len(sent)} instances of {size / len(sent) / 1e3:.0f} kB ({shape[0]} patients x 1 "
        f"study x {shape[1]} series x {shape[2]}), {args.clients} concurrent clients (threads "
        f"of one Python process, requests sessions) on the same machine as the server; "
        f"{args.queries} QIDO queries; each WADO body compared with the file sent. "
        f"PostgreSQL fsync/synchronous_commit/full_page_writes: {pg_settings or 'not run'}; "
        "SQLite in WAL mode, synchronous=NORMAL. Latency per request (a STOW of ten is one "
        "request). Orthanc's row: the issue's measurement.",
        "",
        *table(runs, len(tree_list) > 1),
    ]
    report = "\n".join(lines) + "\n"
    if args.no_readme or args.quick:
        print(report)
    else:
        report_results("web", report, SECTION)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
