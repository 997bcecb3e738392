"""The catalog of operations. Adding an operation = one module under ops/ and one entry here."""

from __future__ import annotations

from dicom_tools.registry import OpSpec, Option, register

# The most histogram bins an operation accepts: a million bins is a memory bill, not a plot.
MAX_BINS = 65536

register(
    OpSpec(
        name="info",
        summary="Patient, study, series, instance and image summary (pixel data is not read)",
        func="dicom_tools.ops.info:info",
        input="file",
        memory_ok=True,
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
        memory_ok=True,
        output="display",
        json_flag=True,
        options=(
            Option(
                "max_depth",
                "int",
                None,
                "deepest sequence level to show (0 = top level)",
                minimum=0,
            ),
            Option(
                "max_value_len",
                "int",
                64,
                "cut values longer than this many characters (0 = never cut)",
                minimum=0,
            ),
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
        memory_ok=True,
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
                minimum=0,
            ),
            Option(
                "bulk_data_dir",
                "path",
                None,
                "folder for bulk data files (default: <output stem>_bulk beside the output); "
                "must be inside the JSON file's folder; required with -o - "
                "(paths then relative to the current folder)",
                metavar="DIR",
                one_output=True,
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
        memory_ok=True,
        output="file",
        output_suffix=".dcm",
        input_help="input JSON file",
        example="dicom-tools from-json scan.json -o scan.dcm",
        description=(
            "Accepts our JSON, dcm2json's, and DICOMweb metadata arrays holding one data set. "
            "Without (0002,0010) in the JSON the file is written as Explicit VR Little Endian."
        ),
    )
)

_DEVICE = Option(
    "device",
    "str",
    None,
    "array backend: cpu, gpu (CuPy) or auto (GPU if present); default $DICOM_TOOLS_DEVICE or cpu",
    choices=("auto", "cpu", "gpu"),
)
_FRAME = Option(
    "frame",
    "int",
    None,
    "frame number, counted from 0 (default: every frame)",
    metavar="N",
    minimum=0,
)

register(
    OpSpec(
        name="to_image",
        summary="Render pixel data to PNG or JPEG through the modality, VOI and presentation LUTs",
        func="dicom_tools.ops.image:to_image",
        takes_context=True,
        input="file",
        memory_ok=True,
        output="file",
        output_suffix=".png",
        options=(
            Option("format", "str", "png", "output image format", choices=("png", "jpeg")),
            _FRAME,
            Option("window_center", "float", None, "VOI window center (with --window-width)"),
            Option(
                "window_width",
                "float",
                None,
                "VOI window width (with --window-center)",
                minimum=0,
                exclusive_minimum=True,
            ),
            Option(
                "normalize",
                "bool",
                False,
                "ignore the file's window: map the min..max to the output range",
            ),
            Option("disable_modality_lut", "bool", False, "skip the modality LUT (rescale)"),
            Option("disable_voi_lut", "bool", False, "skip the VOI LUT (window)"),
            Option("force_8bit", "bool", False, "write 8-bit output (the default)"),
            Option("force_16bit", "bool", False, "write 16-bit grayscale PNG"),
            Option(
                "window_per_frame",
                "bool",
                False,
                "without a window, window each frame by its own min..max "
                "(default: one min..max over all the frames written)",
            ),
            _DEVICE,
        ),
        example="dicom-tools to-image ct.dcm -o ct.png --window-center 40 --window-width 400",
        description=(
            "A multi-frame file without --frame writes every frame, frame N to <stem>_NNNN.png "
            "with N counted from 0 as --frame counts (<stem>_0000.png is --frame 0); the output "
            "may then name a folder. A frame is windowed by the explicit window, else the "
            "file's (its Frame VOI LUT, Window Center/Width or VOI LUT), else the min..max of "
            "the modality values over all the frames written (read in a first pass, one frame "
            "at a time), so a cine loop keeps one contrast; --window-per-frame uses each "
            "frame's own min..max. --frame N alone uses that frame's min..max, as dcmj2pnm +F."
        ),
    )
)

register(
    OpSpec(
        name="stats",
        summary="Pixel statistics (min, max, mean, std, median, percentiles) and pixel format",
        func="dicom_tools.ops.stats:stats",
        takes_context=True,
        input="file",
        memory_ok=True,
        output="display",
        json_flag=True,
        options=(
            _FRAME,
            Option("stored", "bool", False, "statistics of stored values, before the modality LUT"),
            _DEVICE,
        ),
        example="dicom-tools stats ct.dcm --frame 0 --json",
    )
)

register(
    OpSpec(
        name="histogram",
        summary="Histogram of the modality values: counts, bin edges, min and max",
        func="dicom_tools.ops.stats:histogram",
        takes_context=True,
        input="file",
        memory_ok=True,
        output="display",
        json_flag=True,
        options=(
            Option("bins", "int", 256, "number of bins", minimum=1, maximum=MAX_BINS),
            Option("range", "float", None, "histogram range", nargs=2, metavar=("LO", "HI")),
            _FRAME,
            Option("stored", "bool", False, "histogram of stored values, before the modality LUT"),
            Option(
                "plot",
                "path",
                None,
                "also write a picture of the histogram",
                metavar="OUT.png",
                one_output=True,
            ),
            _DEVICE,
        ),
        example="dicom-tools histogram ct.dcm --bins 64 --plot hist.png",
    )
)

register(
    OpSpec(
        name="transcode",
        summary="Re-encode to another transfer syntax (uncompressed, deflated, RLE, JPEG...)",
        func="dicom_tools.ops.transcode:transcode",
        input="file",
        memory_ok=True,
        output="file",
        output_suffix="_explicit.dcm",  # the default target's; the target's word in general
        suffix_from="dicom_tools.ops.transcode:output_suffix",
        input_optional=True,
        takes_context=True,
        options=(
            Option(
                "transfer_syntax",
                "str",
                "explicit-vr-little-endian",
                "target transfer syntax: a name from --list, or a UID",
                aliases=("--syntax",),
                metavar="NAME|UID",
            ),
            Option(
                "quality", "int", None, "lossy JPEG / JPEG 2000 quality", minimum=1, maximum=100
            ),
            Option(
                "ratio",
                "float",
                None,
                "lossy JPEG 2000 compression ratio",
                minimum=1,
                exclusive_minimum=True,
            ),
            Option(
                "near_lossless",
                "int",
                None,
                "JPEG-LS near-lossless error bound (NEAR)",
                minimum=0,
                maximum=255,
            ),
            Option(
                "keep_uid",
                "bool",
                False,
                "a lossy output keeps the SOP Instance UID (not advised: warns)",
            ),
            Option(
                "new_series", "bool", False, "a lossy output gets a new Series Instance UID too"
            ),
            Option(
                "verify",
                "bool",
                False,
                "decode every frame of pixel data copied as it is (same syntax); exit 2 if one "
                "fails",
            ),
            Option("list", "bool", False, "list the syntaxes this installation decodes/encodes"),
        ),
        example="dicom-tools transcode ct.dcm --transfer-syntax rle  # writes ct_rle.dcm",
        description=(
            "Without -o the output is named after the target: <stem>_rle.dcm, _jpegls.dcm, "
            "_jpeg2000.dcm, _deflated.dcm... (_explicit.dcm for the default). A lossy target "
            "(jpeg-baseline, jpeg-ls-near-lossless, jpeg2000, htj2k) makes a derived instance as "
            "dcmcjpeg does: a new SOP Instance UID, Image Type DERIVED, Derivation Description, "
            "Source Image Sequence and Lossy Image Compression 01 with its ratio and method "
            "appended; --keep-uid keeps the UID (with a warning), --new-series also gives it a "
            "new series. Lossless targets keep the UIDs. Pixel data copied without decoding "
            "(the same compressed syntax in and out) are not checked unless --verify is given."
        ),
    )
)

register(
    OpSpec(
        name="validate",
        summary="Validate a file against its IOD: modules, attribute types, values, pixel module",
        func="dicom_tools.ops.validate:validate",
        input="file",
        memory_ok=True,
        output="display",
        json_flag=True,
        options=(
            Option(
                "level",
                "str",
                "warning",
                "lowest severity to report",
                choices=("error", "warning", "info"),
            ),
        ),
        example="dicom-tools validate ct.dcm --json",
        description="Exit 0 when the file has no errors, 1 when it has, 2 when unreadable.",
    )
)

register(
    OpSpec(
        name="anonymize",
        summary="De-identify per DICOM PS3.15 Annex E (Basic Profile and its options)",
        func="dicom_tools.ops.anonymize:anonymize",
        takes_context=True,
        input="file",
        memory_ok=True,
        output="file",
        output_suffix="_anonymized.dcm",
        options=(
            Option("profile", "str", "basic", "de-identification profile", choices=("basic",)),
            Option("retain_uids", "bool", False, "Retain UIDs Option"),
            Option("retain_device_id", "bool", False, "Retain Device Identity Option"),
            Option("retain_institution_id", "bool", False, "Retain Institution Identity Option"),
            Option(
                "retain_patient_characteristics",
                "bool",
                False,
                "Retain Patient Characteristics Option",
            ),
            Option("retain_long_full_dates", "bool", False, "Retain Longitudinal Full Dates"),
            Option(
                "retain_long_modified_dates",
                "bool",
                False,
                "Retain Longitudinal Modified Dates (shift dates by a keyed offset per patient)",
            ),
            Option("clean_descriptors", "bool", False, "Clean Descriptors Option"),
            Option("retain_safe_private", "bool", False, "Retain Safe Private Option"),
            Option("key", "str", None, "secret key for UIDs, pseudonyms and date shifts"),
            Option("key_file", "path", None, "read the key from this file", metavar="F"),
            Option(
                "uid_root",
                "str",
                None,
                "root for new UIDs (default: 2.25.<keyed hash>)",
                metavar="ROOT",
            ),
            Option("patient_id", "str", None, "new Patient ID (default: keyed pseudonym)"),
            Option("patient_name", "str", None, "new Patient's Name"),
            Option(
                "map",
                "path",
                None,
                "write original -> replacement values (CSV)",
                one_output=True,
            ),
            Option(
                "keep",
                "str",
                None,
                "keep this attribute (tag or keyword); repeat it or give a comma list",
                repeat=True,
                split=True,
                metavar="ATTR",
            ),
            Option(
                "remove",
                "str",
                None,
                "remove this attribute (tag or keyword); repeat it or give a comma list",
                repeat=True,
                split=True,
                metavar="ATTR",
            ),
            Option(
                "blank_rect",
                "str",
                None,
                "blank the rectangle x,y,w,h in every frame; repeat it for several",
                repeat=True,
                metavar="X,Y,W,H",
            ),
        ),
        example="dicom-tools anonymize scan.dcm -o anon.dcm --key-file secret.key --map map.csv",
    )
)
