"""The DICOM base layer: each piece of file-format knowledge lives here, once.

Modules, each small and free of heavy imports unless it says so:

- ``syntaxes``   the transfer-syntax table (UID, names and aliases, VR encoding, byte order,
                 deflate, encapsulation, lossiness); lookups by name, alias or UID
- ``codecs``     which pixel decoders and encoders are installed for each syntax (imports pydicom
                 and the pylibjpeg/pyjpegls plugins lazily, only when asked)
- ``encoders``   the encoders dicom-tools adds where pydicom has none (JPEG Lossless SV1 in
                 numpy, JPEG Baseline through Pillow); the registry imports it only to encode
- ``vr``         the value representations: text, binary, numeric formats, padding, lengths
- ``tags``       tag parsing (keyword, ``(gggg,eeee)``, ``gggg,eeee``, hex) and formatting
- ``dictionary`` the data dictionary (PS3.6), UID names and the private dictionary, from the
                 compact generated tables in ``data/`` (no pydicom import)
- ``reader``     one Part 10 reader: a byte-exact walker over files or in-memory bytes
- ``writer``     one Part 10 writer and File Meta Information builder
- ``pixels``     one pixel source: frames, decoded lazily, one at a time
- ``derived``    what a lossy-compressed derived instance records (new UID, Image Type, Source
                 Image Sequence, Lossy Image Compression attributes), as dcmtk's codecs write it

Nothing in this package imports from the rest of dicom_tools except ``errors``.
"""
