"""The web front end: the seed's REST API (``/api``) and DICOMweb (``/dicomweb``) over the store.

A front end like the command line: it parses HTTP requests, runs operations through the
registry on the instances the store holds (``store.source(record)``, no temp copies of inputs)
and formats their results; it holds no DICOM logic of its own. Imported only by
``dicom-tools web`` (and tests): nothing here is on the command line's header path.

- ``settings``: what ``dicom-tools web`` was given, checked (the bind refusal lives there);
- ``security``: the bearer token, the upload size limit and the JSON error answers, as one
  ASGI middleware in front of every ``/api`` and ``/dicomweb`` route;
- ``deps``: the request dependencies shared by the routers (the store, the settings);
- ``ops``: running an operation through the registry for a route;
- ``shapes``: the seed's JSON shapes made from the operations' results;
- ``api``: the seed's REST routes; ``dicomweb``: DICOMweb (STOW, QIDO, WADO);
- ``app``: ``create_app(settings)``; ``server``: ``serve(settings)`` under uvicorn.
"""
