"""A separate OS process using the store (tests/store/test_store_processes.py).

    store_worker.py ingest DATA_DIR URL FILE...   ingest each file; print "<uid> created|same"
                                                  or "<uid> conflict" as each one returns
    store_worker.py wait-ingest DATA_DIR URL GO FILE...   the same, once the file GO exists
    store_worker.py read DATA_DIR URL UID...      print "<uid> <sha256>" of each stored one
URL "-" is the default SQLite index.
"""

from __future__ import annotations

import os
import sys
import time

from dicom_tools.store import Store, StoreConflict


def main(argv: list[str]) -> None:
    verb, data_dir, url, *rest = argv
    store = Store.open(data_dir, None if url == "-" else url)
    if verb == "wait-ingest":
        go, *rest = rest
        while not os.path.exists(go):
            time.sleep(0.001)
        verb = "ingest"
    if verb == "ingest":
        for path in rest:
            try:
                stored = store.ingest(path)
            except StoreConflict as exc:
                print(exc.sop_instance_uid, "conflict", flush=True)
                continue
            state = "created" if stored.created else "same"
            print(stored.record.sop_instance_uid, state, flush=True)
    elif verb == "read":
        for uid in rest:
            record = store.get(uid)
            print(uid, record.sha256 if record else "missing", flush=True)
    store.close()


if __name__ == "__main__":
    main(sys.argv[1:])
