"""The DICOM JSON Model (PS3.18 Annex F): DICOM files to JSON text, and JSON back to a file.

What the JSON holds
-------------------
* One JSON object per data set; keys are tags as 8 uppercase hex digits, in ascending order;
  each value is ``{"vr": VR}`` plus, when the attribute has a value, one of ``"Value"`` (a list),
  ``"InlineBinary"`` (base64) or ``"BulkDataURI"``. An empty attribute has no value member; an
  empty component of a multi-valued attribute is ``null``.
* Group Length attributes (gggg,0000) are left out: they describe the binary encoding, not the
  data, and the Native DICOM Model that the JSON model follows excludes them (PS3.19 A.1.1);
  dcm2json leaves them out too. ``from-json`` writes (0002,0000) itself and recomputes any
  group length found in its input.
* The file meta information (group 0002) is carried as ordinary group-0002 attributes at the top
  of the same object (dcm2json only writes it with ``+m``), so that ``from-json`` restores the
  transfer syntax. A file without meta information gives JSON without group 0002; nothing is
  invented. The 128-byte preamble is not carried (``from-json`` writes zeros).
* PN values are ``{"Alphabetic", "Ideographic", "Phonetic"}`` objects holding the non-empty
  component groups. IS, DS and the binary numbers (US SS UL SL UV SV FL FD) are JSON numbers;
  AT values are 8-hex-digit strings; OB OD OF OL OV OW UN are base64 ``InlineBinary`` (or
  ``BulkDataURI``), always in little-endian byte order, also when read from a big-endian file.
* Text is decoded with the data set's Specific Character Set (inherited by sequence items that
  have none; ISO 2022 code extensions, UTF-8, GB18030, ...) and written as UTF-8 JSON. Bytes
  that are invalid in that character set are replaced by U+FFFD and reported as a warning: the
  JSON model has no way to carry them. A whole value is decoded before it is split at
  backslashes, so a multi-byte character holding the byte 0x5C is not cut (PS3.18 F.2.4).
  (0008,0005) keeps the file's value (dcm2json rewrites it to ISO_IR 192): ``from-json`` then
  encodes the text with the original character set again. AE, AS, CS, DA, DT, TM, UI and UR are
  read as Latin-1 (default repertoire), as pydicom does.

Decisions where PS3.18 leaves room
----------------------------------
* DS and IS numbers keep the file's own digits: ``"1.50"`` is written as the JSON number
  ``1.50``, not re-formatted through a float, so nothing is lost and ``from-json`` writes the same
  string back. A value that is a number but not in JSON number syntax (``+1``, ``.5``, ``1.``,
  ``007``) is normalised (``1``, ``0.5``, ``1``, ``7``). A value that is not a number at all
  (``1A``, ``NaN``) is kept as a JSON *string* rather than dropped; ``from-json`` accepts
  strings for DS/IS and writes them verbatim.
* FL values are written with the fewest digits that give back the same 32-bit float, FD values
  with Python's shortest round-trip form. NaN and infinities, which JSON numbers cannot hold,
  are the strings ``"NaN"``, ``"Infinity"`` and ``"-Infinity"``.
* Trailing spaces (and NULs) of each value are padding and are dropped, as are the leading
  spaces of DS/IS; other leading spaces are kept (they are significant for LT, ST and UT).
  LT, ST, UT and UR are single-valued: a backslash in them is text, not a delimiter. A person
  name keeps empty trailing components as stored (``"OB^^^^"``; dcmtk writes ``"OB"``).
* VRs come from the file in explicit-VR files (an explicit ``UN`` stays ``UN``, as dcmtk keeps
  it); in implicit-VR files from the DICOM and private dictionaries (unknown private tags are
  ``UN``), with the ambiguous ones resolved as PS3.5 says (``US or SS`` from the nearest Pixel
  Representation, ``OB or OW`` is OW in implicit VR). A UN value with undefined length is a
  sequence (PS3.5 6.2.2) and is written as SQ.
* Encapsulated pixel data is ``InlineBinary`` of the encapsulated bytes as stored (item tags,
  offset table and fragments, without the sequence delimiter); ``from-json`` writes them back
  with undefined length when the transfer syntax is an encapsulated one.
* Binary numbers whose length is not a multiple of their size cannot be numbers: they are
  written as ``UN`` InlineBinary with a warning, so no byte is lost.
* With a bulk data threshold, binary values (OB OD OF OL OV OW UN) longer than it go to files
  ``<tag path>.bin`` (e.g. ``00880200.0.7FE00010.bin``), little-endian like InlineBinary.
  ``BulkDataURI`` values we write are relative URI references (percent-encoded POSIX paths, no
  scheme), relative to the folder of the JSON file. ``from-json`` resolves a relative reference
  or a ``file:`` URI against that folder and refuses remote schemes and any path that leaves it.
* Known limitation: pydicom decodes (0008,0005) while reading, so an explicit ``UN`` on that one
  element becomes ``CS``.

``from-json`` accepts our JSON, dcm2json's and DICOMweb metadata (an array holding exactly one
data set; more than one is refused rather than silently dropping data). It is strict: unknown
members, duplicate keys, values of the wrong JSON type, a backslash inside a value of a
multi-valued VR and text the Specific Character Set cannot encode are errors, not guesses. The
transfer syntax is (0002,0010); without it, Explicit VR Little Endian. Missing required meta
elements are generated (Media Storage SOP Class/Instance UID from the data set, our
Implementation Class UID). DS numbers longer than 16 characters (another producer's floats) are
re-formatted to fit; odd-length values are padded to even length (PS3.5 7.1.1). Sequences and
items are written with defined lengths, except where a reader could not tell a sequence
otherwise: in implicit VR a sequence unknown to the DICOM dictionary (private) gets undefined
length, which readers (dcmtk, pydicom) parse as a sequence.

Modules
-------
* ``encoder``: DICOM to JSON text from the file's bytes (base reader, no pydicom); ``dataset``:
  the same from a pydicom data set, for files the byte walk leaves to pydicom.
* ``decoder``: parsed JSON to the checked model; ``part10``: the model to a Part 10 file.
* ``bulk``: InlineBinary and BulkDataURI; ``values`` and ``model``: what they share.
"""

from __future__ import annotations
