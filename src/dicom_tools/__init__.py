"""dicom-tools: a DICOM toolkit with one command, a Python API and a JSON contract."""

__version__ = "0.1.0"
