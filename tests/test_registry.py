"""The registry: in-memory inputs, the per-call context, and no process-wide state per call."""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
import warnings
from pathlib import Path

import pydicom
import pytest
from conftest import TEST_FILES, corpus_file, dcmdump_lines

from dicom_tools import registry
from dicom_tools.context import Context
from dicom_tools.dicom.source import Source
from dicom_tools.errors import InputError, UsageError

FILE_OPS = [s for s in registry.all_ops() if s.input == "file"]
MULTIFRAME = corpus_file("emri_small.dcm")  # 10 frames, 16-bit MR (pydicom-data)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> dict[str, Path]:
    """A CT slice, and the JSON that ``to_json`` makes of it (from_json's input)."""
    tmp = tmp_path_factory.mktemp("inputs")
    ct = tmp / "ct.dcm"
    shutil.copy(TEST_FILES / "CT_small.dcm", ct)
    key = tmp / "key"
    key.write_text("secret")
    registry.execute(registry.get("to_json"), ct, tmp / "ct.json", {})
    return {"dicom": ct, "json": tmp / "ct.json", "key": key}


def _options(spec: registry.OpSpec, inputs: dict[str, Path]) -> dict:
    return {"key_file": str(inputs["key"])} if spec.name == "anonymize" else {}


def _run(spec, source, out: Path | None, options: dict):
    result = registry.execute(spec, source, out, options)
    files = {Path(f).name: Path(f).read_bytes() for f in result.output_files}
    for f in result.output_files:
        Path(f).unlink()
    return result.text, result.data, files, result.failed


@pytest.mark.parametrize("spec", FILE_OPS, ids=lambda s: s.name)
def test_every_file_operation_runs_from_bytes_as_from_the_file(spec, inputs, tmp_path):
    path = inputs["json" if spec.name == "from_json" else "dicom"]
    out = None if spec.output == "display" else tmp_path / f"out{spec.output_suffix or ''}"
    opts = _options(spec, inputs)
    from_file = _run(spec, path, out, opts)
    # named as the file, the in-memory run gives the very same text, data and output bytes
    from_bytes = _run(spec, Source.from_bytes(path.read_bytes(), name=str(path)), out, opts)
    assert from_bytes == from_file
    assert from_file[2] or spec.output == "display"
    # plain bytes are accepted too, named "<memory>"
    if spec.output == "display":
        text = registry.execute(spec, path.read_bytes(), None, opts).text
        assert str(path) not in text


# --- no temp file for an instance held in memory ----------------------------------------------

# Every file a call opens or creates, as the interpreter's audit events report them: builtin and
# os.open, tempfile's mkstemp/mkdtemp, mkdir. Recorded only while ``_touched`` listens.
_FILE_EVENTS = frozenset(("open", "tempfile.mkstemp", "tempfile.mkdtemp", "os.mkdir"))
_touched_log: list[str] | None = None


def _audit(event: str, args: tuple) -> None:
    if _touched_log is None or event not in _FILE_EVENTS or not args:
        return
    if isinstance(args[0], str | bytes | os.PathLike):  # not a file descriptor
        _touched_log.append(os.path.abspath(os.fsdecode(args[0])))


sys.addaudithook(_audit)  # cannot be removed; idle outside ``_touched``


@contextlib.contextmanager
def _touched():
    global _touched_log
    _touched_log = []
    try:
        yield _touched_log
    finally:
        _touched_log = None


def _inside(path: str, folder: Path) -> bool:
    return Path(path).resolve().is_relative_to(folder.resolve())


MEMORY_CASES = [(s, "bytes") for s in FILE_OPS] + [
    (s, "dataset") for s in FILE_OPS if s.name != "from_json"
]


@pytest.mark.parametrize(("spec", "kind"), MEMORY_CASES, ids=lambda v: getattr(v, "name", v))
def test_in_memory_input_makes_no_temp_file(spec, kind, inputs, tmp_path):
    """Every operation of the catalog runs on bytes or a Dataset without writing the instance
    anywhere: the only files it touches under the temp folder are in the output folder the
    caller gave (and the key file an option names); it never opens the file the bytes came from.
    """
    path = inputs["json" if spec.name == "from_json" else "dicom"]
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = None if spec.output == "display" else out_dir / f"out{spec.output_suffix or ''}"
    opts = _options(spec, inputs)
    # Run once from the file first: lazy imports and caches load now, not during the check.
    for f in registry.execute(spec, path, out, opts).output_files:
        Path(f).unlink()
    data = path.read_bytes()
    source = Source.from_bytes(data, name=str(path)) if kind == "bytes" else pydicom.dcmread(path)
    with _touched() as touched:
        result = registry.execute(spec, source, out, opts)
    temp_root = Path(tempfile.gettempdir())
    allowed = {os.path.abspath(inputs["key"])}
    stray = [
        p for p in touched if _inside(p, temp_root) and not _inside(p, out_dir) and p not in allowed
    ]
    assert not stray, f"{spec.name} touched files outside its output folder: {stray}"
    assert os.path.abspath(path) not in touched
    assert all(_inside(f, out_dir) for f in result.output_files)
    assert result.output_files or spec.output == "display"


def test_a_dataset_runs_as_its_file(inputs):
    path = inputs["dicom"]
    ds = pydicom.dcmread(path)
    for name in ("info", "dump", "validate", "stats"):
        spec = registry.get(name)
        a = registry.execute(spec, path, None, {})
        b = registry.execute(spec, ds, None, {})
        assert (a.text, a.data) == (b.text, b.data), name


def test_the_dataset_given_is_not_changed(inputs, tmp_path):
    ds = pydicom.dcmread(inputs["dicom"])
    before = ds.to_json_dict()
    spec = registry.get("anonymize")
    registry.execute(spec, ds, tmp_path / "anon.dcm", {"key_file": str(inputs["key"])})
    assert ds.to_json_dict() == before
    names = {d["name"]: d["value"] for d in dcmdump_lines(tmp_path / "anon.dcm")}
    assert names["PatientName"] != before["00100010"]["Value"][0]["Alphabetic"]


def test_in_memory_input_needs_an_output_path_or_folder(inputs, tmp_path):
    data = inputs["dicom"].read_bytes()
    spec = registry.get("to_json")
    with pytest.raises(UsageError) as info:
        registry.execute(spec, Source.from_bytes(data, name="x.dcm"), None, {})
    assert info.value.render("cli").endswith("(--output)")
    assert info.value.render("api").endswith("(output)")
    result = registry.execute(spec, Source.from_bytes(data, name="sub/x.dcm"), tmp_path, {})
    assert result.output_files == [str(tmp_path / "x.json")]


def test_bad_in_memory_input_names_the_instance_not_a_temp_file():
    for data, needle in ((b"x" * 300, "not a DICOM file"), (b"", "empty")):
        for spec in (registry.get("info"), registry.get("dump")):
            with pytest.raises(InputError) as info:
                registry.execute(spec, Source.from_bytes(data, name="upload-7"), None, {})
            msg = str(info.value)
            assert msg.startswith("upload-7: ") and needle in msg, msg
            assert "/tmp" not in msg and "dicom-tools-" not in msg


def test_truncated_in_memory_input_is_rejected_as_the_file_is(inputs):
    data = inputs["dicom"].read_bytes()[:20000]
    spec = registry.get("info")
    with pytest.raises(InputError) as info:
        registry.execute(spec, Source.from_bytes(data, name="cut.dcm"), None, {})
    assert str(info.value).startswith("cut.dcm: ") and "truncated" in str(info.value)


# --- the context --------------------------------------------------------------------------


def _warns(input, *, context=None):  # an operation for the tests below
    from dicom_tools.result import Result

    warnings.warn("odd value", UserWarning, stacklevel=1)
    return Result(data={"input": type(input).__name__, "caller": getattr(context, "caller", "")})


def _spec(**kw) -> registry.OpSpec:
    return registry.OpSpec(
        name="warns", summary="", func=f"{__name__}:_warns", input="file", output="display", **kw
    )


def test_warnings_go_to_the_context_and_filters_are_left_alone(inputs, recwarn):
    filters = list(warnings.filters)
    seen: list[str] = []
    ctx = Context(on_warning=seen.append, caller="web")
    result = registry.execute(_spec(takes_context=True), inputs["dicom"], None, {}, context=ctx)
    assert seen == ["UserWarning: odd value"]
    assert result.data["caller"] == "web"
    assert list(warnings.filters) == filters
    assert not [w for w in recwarn if "odd value" in str(w.message)]  # not printed either
    # the default context drops them
    registry.execute(_spec(), inputs["dicom"], None, {})
    assert not [w for w in recwarn if "odd value" in str(w.message)]


def test_memory_ok_operations_receive_a_source(inputs):
    data = inputs["dicom"].read_bytes()
    spec = _spec(memory_ok=True)
    assert registry.execute(spec, inputs["dicom"], None, {}).data["input"] == "Source"
    assert registry.execute(spec, data, None, {}).data["input"] == "Source"
    plain = _spec()
    assert registry.execute(plain, inputs["dicom"], None, {}).data["input"] == "PosixPath"
    # an operation that reads only paths refuses an instance (no temp file is made for it)
    with pytest.raises(UsageError, match="not an in-memory instance"):
        registry.execute(plain, data, None, {})


def test_pydicom_config_is_not_rewritten_per_call(inputs):
    from pydicom import config

    registry.execute(registry.get("info"), inputs["dicom"], None, {})
    assert config.settings.reading_validation_mode == config.IGNORE
    config.settings.reading_validation_mode = config.WARN
    try:
        registry.execute(registry.get("info"), inputs["dicom"], None, {})
        assert config.settings.reading_validation_mode == config.WARN
    finally:
        config.settings.reading_validation_mode = config.IGNORE


def test_specs_are_immutable_and_compare_by_value():
    spec = registry.get("info")
    with pytest.raises(AttributeError):
        spec.name = "x"  # type: ignore[misc]
    opt = registry.Option("frame", "int", None, "f")
    assert opt == registry.Option("frame", "int", None, "f")
    assert hash(opt) == hash(registry.Option("frame", "int", None, "f"))
    assert registry.get("to-image") is registry.get("to_image")
    assert registry.find("nope") is None


def test_multiframe_in_memory(tmp_path):
    spec = registry.get("to_image")
    src = Source.from_bytes(MULTIFRAME.read_bytes(), name="mf.dcm")
    result = registry.execute(spec, src, tmp_path, {"frame": 3})
    assert result.output_files == [str(tmp_path / "mf.png")]
    direct = registry.execute(spec, MULTIFRAME, tmp_path / "direct.png", {"frame": 3})
    assert Path(direct.output_files[0]).read_bytes() == (tmp_path / "mf.png").read_bytes()


def test_json_in_memory_reads_no_bulk_data_file(inputs, tmp_path):
    """A BulkDataURI is resolved in the JSON file's folder; JSON held in memory has none, so a
    server's request cannot make from-json read a file on the server."""
    made = tmp_path / "bulk.json"
    registry.execute(registry.get("to_json"), inputs["dicom"], made, {"bulk_data_threshold": 64})
    assert '"BulkDataURI"' in made.read_text()
    spec = registry.get("from_json")
    from_file = registry.execute(spec, made, tmp_path / "from-file.dcm", {})
    assert Path(from_file.output_files[0]).stat().st_size > 0
    out = tmp_path / "from-memory.dcm"
    with pytest.raises(InputError) as info:
        registry.execute(spec, Source.from_bytes(made.read_bytes(), name="upload.json"), out, {})
    msg = str(info.value)
    assert msg.startswith("upload.json: ") and "no folder" in msg, msg
    assert not out.exists()


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("<memory>", "instance_anonymized.dcm"),
        ("../../etc/passwd", "passwd_anonymized.dcm"),
        ("C:\\scans\\ct 1.dcm", "ct_1_anonymized.dcm"),
        ("..", "instance_anonymized.dcm"),
    ],
)
def test_in_memory_output_names_stay_in_the_output_folder(tmp_path, name, expected):
    """An in-memory instance's name (from a network peer) never steers where outputs go."""
    from pydicom.data import get_testdata_file

    from dicom_tools.dicom.source import Source

    data = Path(get_testdata_file("CT_small.dcm")).read_bytes()
    spec = registry.get("anonymize")
    result = registry.execute(spec, Source.from_bytes(data, name), tmp_path, {"key": "k"})
    assert [Path(p).name for p in result.output_files] == [expected]
    assert [p.name for p in tmp_path.iterdir()] == [expected]
