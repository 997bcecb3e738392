"""dump's text: dcmdump's layout over the base reader.

- ``layout``  the line layout, value cutting and the keyword column (no pydicom)
- ``stream``  the dump as text chunks made while walking the base reader's tree (no pydicom)
- ``legacy``  pydicom's reading, for the unusual files the stream leaves to it (imported
              only for them)
"""
