"""The catalog of operations. Adding an operation = one module under ops/ and one entry here."""

from __future__ import annotations

from dicom_tools.registry import OpSpec, Option, register

register(
    OpSpec(
        name="info",
        summary="Patient, study, series, instance and image summary (pixel data is not read)",
        func="dicom_tools.ops.info:info",
        input="file",
        output="display",
        json_flag=True,
        options=(
            Option("verbose", "bool", False, "also list every top-level element", short="-v"),
        ),
        example="dicom-tools info scan.dcm --json",
    )
)

register(
    OpSpec(
        name="dump",
        summary="Every element: tag, VR, VM, length, keyword and value, sequences nested",
        func="dicom_tools.ops.dump:dump",
        input="file",
        output="display",
        json_flag=True,
        options=(
            Option("max_depth", "int", None, "deepest sequence level to show (0 = top level)"),
            Option("max_value_len", "int", 64, "cut values longer than this many characters"),
        ),
        example="dicom-tools dump scan.dcm --max-depth 1 --max-value-len 40",
        description="With --json the DICOM JSON model (PS3.18 Annex F) is printed instead.",
    )
)

register(
    OpSpec(
        name="to_json",
        summary="Convert a DICOM file to the DICOM JSON model (PS3.18 Annex F)",
        func="dicom_tools.ops.dicomjson:to_json",
        input="file",
        output="file",
        output_suffix=".json",
        stdout_ok=True,
        options=(
            Option(
                "bulk_data_threshold",
                "int",
                None,
                "write binary values longer than this many bytes as BulkDataURI files",
                metavar="BYTES",
            ),
            Option(
                "bulk_data_dir",
                "path",
                None,
                "folder for bulk data files (default: <output>_bulk next to the output)",
                metavar="DIR",
            ),
        ),
        example="dicom-tools to-json scan.dcm -o scan.json",
        description=(
            "The file meta information (group 0002) is carried as ordinary attributes so that "
            "from-json restores the transfer syntax."
        ),
    )
)

register(
    OpSpec(
        name="from_json",
        summary="Build a DICOM file from the DICOM JSON model (ours, dcm2json's or DICOMweb's)",
        func="dicom_tools.ops.dicomjson:from_json",
        input="file",
        output="file",
        output_suffix=".dcm",
        input_help="input JSON file",
        example="dicom-tools from-json scan.json -o scan.dcm",
    )
)
