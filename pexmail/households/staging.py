"""A disk-backed store of the batch's cases, read back one block at a time.

Households never span two postcodes or street numbers, so the batch never
needs every case in memory at once: cases go to a private SQLite file as they
are read, and come back grouped by block (postcode, street number), in a
stable order. Memory stays flat whatever the size of the files.
"""

from __future__ import annotations

import pickle
import shutil
import sqlite3
from collections.abc import Iterator

from pexmail.households.normalize import Identity, identity
from pexmail.model import Case
from pexmail.scratch import private_folder


class CaseStore:
    def __init__(self) -> None:
        # A private folder: the cases hold personal data. Removed on close, or by the next
        # pexmail process if this one is killed.
        self._dir = private_folder("cases")
        self._db = sqlite3.connect(self._dir / "cases.sqlite")
        self._db.execute("PRAGMA journal_mode = OFF")
        self._db.execute("PRAGMA synchronous = OFF")
        self._db.execute(
            "CREATE TABLE cases (seq INTEGER PRIMARY KEY, postcode TEXT, number TEXT, data BLOB)"
        )
        self._pending: list[tuple[int, str, str, bytes]] = []
        self.count = 0

    def add(self, case: Case) -> None:
        ident = identity(case)
        blob = pickle.dumps((case, ident), protocol=pickle.HIGHEST_PROTOCOL)
        self._pending.append((self.count, ident.postcode, ident.number, blob))
        self.count += 1
        if len(self._pending) >= 5000:
            self._flush()

    def _flush(self) -> None:
        self._db.executemany("INSERT INTO cases VALUES (?, ?, ?, ?)", self._pending)
        self._pending.clear()

    def blocks(self) -> Iterator[list[tuple[Case, Identity]]]:
        """Cases and their identities grouped by (postcode, street number), blocks sorted,
        cases in reading order."""
        self._flush()
        self._db.execute("CREATE INDEX IF NOT EXISTS by_block ON cases (postcode, number, seq)")
        block: list[tuple[Case, Identity]] = []
        current: tuple[str, str] | None = None
        for postcode, number, data in self._db.execute(
            "SELECT postcode, number, data FROM cases ORDER BY postcode, number, seq"
        ):
            if (postcode, number) != current and block:
                yield block
                block = []
            current = (postcode, number)
            # Our own records, written by this process a moment ago.
            block.append(pickle.loads(data))
        if block:
            yield block

    def close(self) -> None:
        self._db.close()
        shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> CaseStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
