"""The STOW-RS response (PS3.18 10.5.3)."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import pydicom
from conftest import corpus_file

from dicom_tools.dicomweb.stow import (
    CANNOT_UNDERSTAND,
    DUPLICATE_SOP_INSTANCE,
    Outcome,
    peek_uids,
    response_dataset,
    response_status,
    to_xml,
)

NS = {"n": "http://dicom.nema.org/PS3.19/models/NativeDICOM"}


def _outcomes() -> list[Outcome]:
    return [
        Outcome(
            "1.2.840.10008.5.1.4.1.1.2",
            "1.2.3",
            retrieve_url="http://h/studies/9/series/8/instances/1.2.3",
        ),
        Outcome(None, None, reason=CANNOT_UNDERSTAND, message="not DICOM"),
        Outcome("1.2.840.10008.5.1.4.1.1.2", "1.2.4", reason=DUPLICATE_SOP_INSTANCE),
    ]


def test_status():
    ok, bad, dup = _outcomes()
    assert response_status([ok]) == 200
    assert response_status([ok, bad]) == 202
    assert response_status([bad, dup]) == 409


def test_dataset_is_dicom_json_pydicom_reads():
    ds = response_dataset(_outcomes(), "http://h/studies/9")
    # pydicom's own DICOM JSON reader is the reference for the model
    parsed = pydicom.Dataset.from_json(ds)
    assert parsed.RetrieveURL == "http://h/studies/9"
    assert [i.ReferencedSOPInstanceUID for i in parsed.ReferencedSOPSequence] == ["1.2.3"]
    assert parsed.ReferencedSOPSequence[0].RetrieveURL.endswith("/instances/1.2.3")
    failed = parsed.FailedSOPSequence
    assert [i.FailureReason for i in failed] == [0xC000, 0x0111]
    assert failed[0].ReferencedSOPInstanceUID in ("", None)
    assert failed[1].ReferencedSOPInstanceUID == "1.2.4"
    assert list(ds) == sorted(ds)


def test_xml_native_model():
    root = ET.fromstring(to_xml(response_dataset(_outcomes(), "http://h/studies/9")))
    assert root.tag == f"{{{NS['n']}}}NativeDicomModel"
    reasons = root.findall(
        "n:DicomAttribute[@tag='00081198']/n:Item/n:DicomAttribute[@tag='00081197']/n:Value", NS
    )
    assert [int(v.text) for v in reasons] == [0xC000, 0x0111]
    url = root.find("n:DicomAttribute[@keyword='RetrieveURL']/n:Value", NS)
    assert url.text == "http://h/studies/9"


def test_peek_uids():
    path = corpus_file("CT_small.dcm")
    ref = pydicom.dcmread(path)
    with open(path, "rb") as f:
        assert peek_uids(f) == (ref.SOPClassUID, ref.SOPInstanceUID, ref.StudyInstanceUID)
        assert f.tell() == 0
    assert peek_uids(io.BytesIO(b"not dicom at all" * 20)) == (None, None, None)
