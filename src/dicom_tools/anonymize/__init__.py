"""De-identification per DICOM PS3.15 Annex E (Basic Profile and options), with a keyed hash.

``Anonymizer(options, key).anonymize_dataset(ds)`` de-identifies one data set in place; reuse one
Anonymizer across the files of a batch so that UIDs, pseudonyms and date shifts agree.

How it conforms (what PS3.15 leaves to the de-identifier):

- Table E.1-1 (``data/``, 621 rows) is applied to every element at any sequence depth. Compound
  actions, whose choice depends on the attribute's Type in the IOD, take the choice valid for
  any Type: X/Z -> Z, X/D -> D, Z/D -> D, X/Z/D -> D, X/Z/U* -> U (sequence kept, its UIDs
  replaced). A chosen option's column overrides the Basic Profile; K and C from two options:
  C. D on a sequence keeps its items and turns their text values into dummies; C cleans them;
  K and U walk them with the same rules.
- Beyond the table: every DA/DT attribute the table does not list is treated like a listed date
  (E.1.1 note 4); a few instance UIDs it does not list are replaced too (profile.py); elements
  not in the data dictionary, group lengths, and a top-level command or meta group are removed;
  an overlay plane (60xx) goes with its Overlay Data; private elements go unless Retain Safe
  Private keeps those in ``safe_private.py`` or declared safe by the object itself.
- Dummy values: "ANONYMIZED" for text, 19000101 / 000000 for dates and times, 0 for numbers;
  an empty value stays empty. Patient ID becomes a keyed pseudonym (16 hex digits) unless
  ``patient_id`` is given.
- UIDs: ``2.25.<first 128 bits of HMAC-SHA256(key, uid)>`` (or ``<root>.<digits>``); UIDs under
  1.2.840.10008 or in pydicom's UID dictionary are never replaced. Without a key a random one
  is drawn per run, and the results then agree with no other run.
- Retain Longitudinal Modified Dates: every DA/DT of a patient moves back by the same whole
  number of days (365 to 3652, from the key and the original Patient ID); times are kept.
- Clean (Descriptors, Patient Characteristics): identifying values found elsewhere in the data
  set, and date-like strings, are cut out of the text (``clean.py``); Device Identity's AE
  titles become keyed pseudonyms. Clean Structured Content and Clean Graphics are not offered.
- Patient Identity Removed YES, De-identification Method (one value per profile/option) and
  its Code Sequence (CID 7050) are written; the File Meta Information and preamble are
  replaced. Pixel data is never changed except by explicit ``--blank-rect`` (``pixels.py``).
"""

from dicom_tools.anonymize.anonymizer import AnonymizeOptions, Anonymizer, Report
from dicom_tools.anonymize.keyed import load_key

__all__ = ["AnonymizeOptions", "Anonymizer", "Report", "load_key"]
