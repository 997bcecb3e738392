"""The command line's own words: its name, descriptions, its verbs' help and flags."""

from __future__ import annotations

PROG = "dicom-tools"
DEVICE_ENV = "DICOM_TOOLS_DEVICE"  # the default array backend of pixel operations
DESCRIPTION = "DICOM toolkit: inspect, convert, de-identify, validate and render DICOM."
EPILOG = (
    "examples:\n  dicom-tools info scan.dcm --json\n  dicom-tools ops\n"
    '  echo \'{"op": "info", "input": "scan.dcm"}\' | dicom-tools run -\n\n'
    "Exit codes: 0 success, 1 the operation reports a failure, 2 usage error or "
    "unreadable input. Add --debug for a traceback."
)
# The verbs of the CLI itself, beside the operations: (name, summary).
OPS_HELP = "list the operations with their options"
RUN_HELP = "execute a JSON contract request and print the response envelope"
WEB_HELP = "serve the REST API and DICOMweb over an instance store"
# The web front end, imported by name when its verb runs: the front ends stay independent of
# each other (import-linter), and nothing of FastAPI, uvicorn or SQLAlchemy loads otherwise.
WEB_ENTRY = "dicom_tools.web.server:main"
WEB_TOKEN_ENV = "DICOM_TOOLS_WEB_TOKEN"  # the token without showing it in `ps`
# The CLI's own verbs (not operations of the registry): parsed by argparse alone.
OWN_VERBS = ("ops", "run", "web")
RECURSIVE_FLAGS = ("-r", "--recursive")
RECURSIVE_HELP = "descend into subfolders of a folder given as input"
