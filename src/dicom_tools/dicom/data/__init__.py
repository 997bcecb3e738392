"""Generated DICOM tables (see scripts/gen_dicom_tables.py)."""
