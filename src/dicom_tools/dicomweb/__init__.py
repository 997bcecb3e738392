"""DICOMweb (PS3.18) without HTTP: what the ``/dicomweb`` routes need, framework-free.

Modules
-------
* ``multipart``: multipart/related read as a stream (each part spooled, never the whole body)
  and written as a stream; ``mediatype``: media types and Accept headers;
  ``negotiate``: which representation a retrieval gets.
* ``qido``: QIDO-RS query parameters to the store's ``query()``; ``stow``: the STOW-RS response.
* ``metadata``: WADO-RS metadata with BulkDataURIs, bulk data by URI; ``frames``: frame lists
  and frame bytes; ``retrieve``: byte ranges, transcoding, zip streaming, rendering.

Decisions where PS3.18 leaves room
----------------------------------
* Accept parameters are read quoted or not (OHIF sends ``type=application/octet-stream;
  transfer-syntax=*`` unquoted); q values order the choices, the client's order breaks ties.
* Instances: ``transfer-syntax`` absent on ``application/dicom`` is Explicit VR Little Endian
  (PS3.18 8.7.3.5.2), ``*`` is the stored syntax, and ``*/*`` (nothing asked for) is the stored
  syntax too. Another syntax is served by the registry's transcode when it is lossless and has
  an encoder here; a lossy one is never made on retrieval (it would be a new instance with
  another SOP Instance UID): 406 instead.
* Frames: ``transfer-syntax=*`` and ``*/*`` get the frames as stored: application/octet-stream
  for native pixel data, the compressed syntax's media type (PS3.18 Table 8.7.3-5: image/jpeg,
  image/jls, image/jp2, image/jphc, image/dicom-rle) otherwise, each part's Content-Type
  naming its transfer syntax. application/octet-stream without ``transfer-syntax`` (or with
  Explicit VR Little Endian) gets decoded frames (colour as RGB, little endian).
* Metadata leaves out the file meta group (0002): it describes a file, not the instance.
  Binary values over 256 bytes, pixel data among them, are BulkDataURIs under the instance:
  ``.../instances/{uid}/bulkdata/{tag path}`` (tag path as to-json names bulk files:
  ``7FE00010``, ``00540016.0.00280030``). Encapsulated pixel data's bulk data is the
  encapsulated stream as stored; its frames are better fetched with ``/frames``.
* STOW Failure Reasons (0008,1197): 0xC000 cannot understand (not DICOM, truncated, a part
  that is not application/dicom, a Content-Length that disagrees with the part), 0xA700 out
  of resources (a part over the size limit), 0xA900 does not match (an instance of another study
  than the one in the URL), 0x0111 Duplicate SOP Instance (PS3.7 C.4: the same SOP Instance UID
  with other content; an identical resend is a success), 0x0110 processing failure. 200 all
  stored, 202 some failed, 409 none stored.
* QIDO: attribute IDs are keywords or 8-hex tags; an unknown one, a repeated one, a bad limit or
  offset is 400 naming it. ``includefield`` narrows and extends each result per PS3.18 10.6.3.3:
  the level's default attributes (and the upper levels' where the target resource asks for
  them), the unique keys, the attributes matched on and the ``includefield`` ones, plus a
  Retrieve URL; ``all`` is every attribute the index holds (``qido.finish``).
  ``fuzzymatching=true`` is accepted: Person Names are matched in any case whatever it says
  (what a viewer's ``PatientName=*smith*`` means), and with it the other text attributes are
  matched in any case too; no phonetic or other semantic matching is done.
* Rendered: image/jpeg is the default (``*/*``); ``window=c,w[,linear]``, ``viewport=w,h``
  (scaled to fit, aspect kept), ``quality`` for JPEG.
* Zip (``Accept: application/zip``): stored members named ``{study}/{series}/{instance}.dcm``,
  ZIP64 with data descriptors, written as it is sent.
* Range: one byte range on instance and bulk data retrievals (206, 416); several ranges, or
  another unit, get the whole representation (RFC 9110 14.2 allows it).
"""
