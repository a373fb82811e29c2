"""The send ledger: an SQLite file recording every letter issued, so none goes twice.

A letter is identified by (household key, letter id, episode), the episode
being the act it answers. Before rendering, a run *reserves* the letter in one
short transaction; two runs on one ledger cannot both hold the reservation.
The letter is recorded as *issued* only once its files are safely written; a
run killed in between leaves a reservation that the next run takes over when
the run that made it is no longer alive. The ledger also remembers each
household's identities, so that next month's rows, spelled differently, find
the same household key.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from pexmail.chain.history import IssuedLetter
from pexmail.households.match import KnownHousehold
from pexmail.households.normalize import Identity
from pexmail.model import Document, Suppression

SCHEMA_VERSION = 1
LEDGER_NAME = "pexmail-ledger.sqlite"
STALE_HEARTBEAT = timedelta(minutes=10)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    heartbeat_at TEXT NOT NULL,
    run_date TEXT NOT NULL,
    out_dir TEXT NOT NULL,
    catalog_sha256 TEXT NOT NULL,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    status TEXT NOT NULL,            -- running, done, failed
    stats TEXT                       -- JSON figures for `pexmail report`
);
CREATE TABLE IF NOT EXISTS letters (
    household_key TEXT NOT NULL,
    letter_id TEXT NOT NULL,
    episode TEXT NOT NULL,
    version TEXT NOT NULL,
    sender TEXT NOT NULL,
    stage TEXT NOT NULL,
    run_date TEXT NOT NULL,
    run_id TEXT NOT NULL,
    out_dir TEXT NOT NULL,
    status TEXT NOT NULL,            -- pending, issued
    case_ids TEXT NOT NULL DEFAULT '',
    issued_at TEXT,
    PRIMARY KEY (household_key, letter_id, episode)
);
CREATE TABLE IF NOT EXISTS documents (
    household_key TEXT NOT NULL,
    letter_id TEXT NOT NULL,
    episode TEXT NOT NULL,
    format TEXT NOT NULL,
    path TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    pages INTEGER,
    PRIMARY KEY (household_key, letter_id, episode, format)
);
CREATE TABLE IF NOT EXISTS identities (
    household_key TEXT NOT NULL,
    postcode TEXT NOT NULL,
    number TEXT NOT NULL,
    street TEXT NOT NULL,
    names TEXT NOT NULL,
    family TEXT NOT NULL,
    PRIMARY KEY (postcode, number, street, names, household_key)
);
CREATE TABLE IF NOT EXISTS suppressions (
    run_id TEXT NOT NULL,
    household_key TEXT NOT NULL,
    letter_id TEXT,
    code TEXT NOT NULL,
    reason TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS suppressions_by_household ON suppressions (household_key);
"""


class LedgerError(Exception):
    pass


@dataclass(frozen=True)
class Reservation:
    household_key: str
    letter_id: str
    episode: str


@dataclass(frozen=True)
class ReserveRequest:
    household_key: str
    letter_id: str
    episode: str
    version: str
    sender: str
    stage: str


@dataclass(frozen=True)
class Conflict:
    code: str  # "already_sent" or "in_progress"
    reason: str


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def default_ledger_path(out_dir: Path) -> Path:
    """Next to the output folder: the ledger outlives each month's output."""
    return out_dir.resolve().parent / LEDGER_NAME


class Ledger:
    """An open ledger file. Use :meth:`open`; close it, or use it as a context manager."""

    def __init__(self, path: Path, connection: sqlite3.Connection, readonly: bool) -> None:
        self.path = path
        self.db = connection
        self.readonly = readonly
        self.host = socket.gethostname()
        self.pid = os.getpid()

    # -- opening ----------------------------------------------------------------
    @classmethod
    def open(cls, path: Path, *, readonly: bool = False) -> Ledger:
        path = Path(path)
        if readonly:
            if not path.exists():
                raise LedgerError(f"{path}: no such ledger")
            connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=60)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            created = not path.exists()
            connection = sqlite3.connect(path, timeout=60, isolation_level=None)
            if created:
                path.chmod(0o600)  # names of letters sent to households: private
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA busy_timeout = 60000")
            connection.executescript(_SCHEMA)
            connection.execute(
                "INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
            )
        version = connection.execute(
            "SELECT value FROM meta WHERE key = 'schema_version'"
        ).fetchone()
        if version is None or int(version[0]) != SCHEMA_VERSION:
            connection.close()
            raise LedgerError(
                f"{path}: ledger schema {version[0] if version else '?'}, expected {SCHEMA_VERSION}"
            )
        return cls(path, connection, readonly)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction taken at once (BEGIN IMMEDIATE): runs queue here, never interleave."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # -- runs -------------------------------------------------------------------
    def begin_run(self, run_date: date, out_dir: Path, catalog_sha256: str) -> str:
        run_id = f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
        now = _now()
        with self.transaction() as db:
            db.execute(
                "INSERT INTO runs (run_id, started_at, heartbeat_at, run_date, out_dir, catalog_sha256, host, pid, status)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'running')",
                (
                    run_id,
                    now,
                    now,
                    run_date.isoformat(),
                    str(out_dir.resolve()),
                    catalog_sha256,
                    self.host,
                    self.pid,
                ),
            )
        return run_id

    def heartbeat(self, run_id: str) -> None:
        with self.transaction() as db:
            db.execute("UPDATE runs SET heartbeat_at = ? WHERE run_id = ?", (_now(), run_id))

    def finish_run(self, run_id: str, status: str, stats: dict | None = None) -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE runs SET status = ?, finished_at = ?, stats = ? WHERE run_id = ?",
                (status, _now(), json.dumps(stats or {}, default=str), run_id),
            )
            if status != "done":
                # What this run reserved and did not issue is free again.
                db.execute("DELETE FROM letters WHERE run_id = ? AND status = 'pending'", (run_id,))

    def _alive(self, run_id: str) -> bool:
        row = self.db.execute(
            "SELECT status, host, pid, heartbeat_at FROM runs WHERE run_id = ?", (run_id,)
        ).fetchone()
        if row is None or row[0] != "running":
            return False
        _, host, pid, heartbeat = row
        if host == self.host:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return False
            except PermissionError:
                return True
            return True
        return datetime.now(UTC) - datetime.fromisoformat(heartbeat) < STALE_HEARTBEAT

    # -- the history the planner reads ------------------------------------------------
    def issued(self, household_key: str) -> Sequence[IssuedLetter]:
        rows = self.db.execute(
            "SELECT l.household_key, l.letter_id, l.version, l.sender, l.stage, l.episode, l.run_date, l.out_dir,"
            " COALESCE(d.path, ''), COALESCE(d.sha256, '')"
            " FROM letters l LEFT JOIN documents d ON d.household_key = l.household_key"
            " AND d.letter_id = l.letter_id AND d.episode = l.episode AND d.format = 'pdf'"
            " WHERE l.household_key = ? AND l.status = 'issued' ORDER BY l.run_date, l.issued_at",
            (household_key,),
        ).fetchall()
        return [
            IssuedLetter(
                r[0], r[1], r[2], r[3], r[4], r[5], date.fromisoformat(r[6]), r[7], r[8], r[9]
            )
            for r in rows
        ]

    def documents_of(
        self, household_key: str, letter_id: str, episode: str
    ) -> list[tuple[str, str, str, int | None]]:
        """(format, path, sha256, pages) of an issued letter's files."""
        return self.db.execute(
            "SELECT format, path, sha256, pages FROM documents WHERE household_key = ? AND letter_id = ? AND episode = ?"
            " ORDER BY format DESC",
            (household_key, letter_id, episode),
        ).fetchall()

    def known_in_block(self, postcode: str, number: str) -> list[KnownHousehold]:
        rows = self.db.execute(
            "SELECT household_key, street, names, family FROM identities WHERE postcode = ? AND number = ?",
            (postcode, number),
        ).fetchall()
        return [
            KnownHousehold(
                key, Identity(postcode, number, street, tuple(names.split()), tuple(family.split()))
            )
            for key, street, names, family in rows
        ]

    # -- issuing ----------------------------------------------------------------
    def reserve(
        self,
        run_id: str,
        household_key: str,
        letter_id: str,
        episode: str,
        *,
        version: str,
        sender: str,
        stage: str,
        run_date: date,
        out_dir: Path,
    ) -> Reservation | Conflict:
        request = ReserveRequest(household_key, letter_id, episode, version, sender, stage)
        return self.reserve_many(run_id, [request], run_date=run_date, out_dir=out_dir)[0]

    def reserve_many(
        self,
        run_id: str,
        requests: Sequence[ReserveRequest],
        *,
        run_date: date,
        out_dir: Path,
    ) -> list[Reservation | Conflict]:
        """Reserve several letters in one transaction (a batch reserves a chunk at a time)."""
        if not requests:
            return []
        folder = str(out_dir.resolve())
        outcomes: list[Reservation | Conflict] = []
        with self.transaction() as db:
            for r in requests:
                outcomes.append(self._reserve(db, run_id, r, run_date.isoformat(), folder))
        return outcomes

    def _reserve(
        self,
        db: sqlite3.Connection,
        run_id: str,
        r: ReserveRequest,
        run_date: str,
        out_dir: str,
    ) -> Reservation | Conflict:
        key = (r.household_key, r.letter_id, r.episode)
        row = db.execute(
            "SELECT status, run_id, run_date FROM letters WHERE household_key = ? AND letter_id = ? AND episode = ?",
            key,
        ).fetchone()
        values = (r.version, r.sender, r.stage, run_date, run_id, out_dir)
        if row is None:
            db.execute(
                "INSERT INTO letters (household_key, letter_id, episode, version, sender, stage, run_date,"
                " run_id, out_dir, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending')",
                (*key, *values),
            )
        elif row[0] == "issued":
            return Conflict("already_sent", f"already sent on {row[2]} (by another run)")
        elif row[1] != run_id and self._alive(row[1]):
            return Conflict("in_progress", f"being issued by run {row[1]}, still running")
        else:  # our own, or left by a run that died: take it over
            db.execute(
                "UPDATE letters SET version = ?, sender = ?, stage = ?, run_date = ?, run_id = ?, out_dir = ?"
                " WHERE household_key = ? AND letter_id = ? AND episode = ?",
                (*values, *key),
            )
        return Reservation(*key)

    def release(self, reservation: Reservation, run_id: str) -> None:
        self.release_many(run_id, [reservation])

    def release_many(self, run_id: str, reservations: Sequence[Reservation]) -> None:
        """Free reservations of letters that were not issued (refused), in one transaction."""
        if not reservations:
            return
        with self.transaction() as db:
            db.executemany(
                "DELETE FROM letters WHERE household_key = ? AND letter_id = ? AND episode = ? AND run_id = ?"
                " AND status = 'pending'",
                [(r.household_key, r.letter_id, r.episode, run_id) for r in reservations],
            )

    def commit(
        self,
        reservation: Reservation,
        run_id: str,
        documents: Sequence[Document],
        identities: Iterable[Identity],
    ) -> None:
        """Record the letter as issued; call only once its files are written."""
        self.commit_many(run_id, [(reservation, documents, identities)])

    def commit_many(
        self,
        run_id: str,
        issued: Sequence[tuple[Reservation, Sequence[Document], Iterable[Identity]]],
    ) -> None:
        """Record several letters as issued in one transaction; their files are written."""
        if not issued:
            return
        now = _now()
        with self.transaction() as db:
            for reservation, documents, identities in issued:
                key = (reservation.household_key, reservation.letter_id, reservation.episode)
                case_ids = " ".join(dict.fromkeys(c for d in documents for c in d.case_ids))
                updated = db.execute(
                    "UPDATE letters SET status = 'issued', issued_at = ?, case_ids = ? WHERE household_key = ?"
                    " AND letter_id = ? AND episode = ? AND run_id = ? AND status = 'pending'",
                    (now, case_ids, *key, run_id),
                ).rowcount
                if updated != 1:
                    raise LedgerError(
                        f"reservation of {reservation.letter_id} for {reservation.household_key} was lost"
                    )
                db.executemany(
                    "INSERT OR REPLACE INTO documents VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [(*key, d.format, d.path, d.sha256, d.pages) for d in documents],
                )
                db.executemany(
                    "INSERT OR IGNORE INTO identities VALUES (?, ?, ?, ?, ?, ?)",
                    [
                        (
                            reservation.household_key,
                            i.postcode,
                            i.number,
                            i.street,
                            i.name_text,
                            " ".join(i.family),
                        )
                        for i in identities
                    ],
                )

    def record_suppressions(self, run_id: str, suppressions: Iterable[Suppression]) -> None:
        rows = [(run_id, s.household_key, s.letter_id, s.code, s.reason) for s in suppressions]
        if rows:
            with self.transaction() as db:
                db.executemany("INSERT INTO suppressions VALUES (?, ?, ?, ?, ?)", rows)

    # -- reading back -----------------------------------------------------------
    def household_history(self, household_key: str) -> dict:
        letters = self.db.execute(
            "SELECT run_date, letter_id, version, sender, stage, episode, status, case_ids, run_id FROM letters"
            " WHERE household_key = ? ORDER BY run_date, issued_at",
            (household_key,),
        ).fetchall()
        suppressed = self.db.execute(
            "SELECT r.run_date, s.letter_id, s.code, s.reason FROM suppressions s JOIN runs r ON r.run_id = s.run_id"
            " WHERE s.household_key = ? ORDER BY r.started_at",
            (household_key,),
        ).fetchall()
        return {"letters": letters, "suppressions": suppressed}

    def households_for_case(self, case_id: str) -> list[str]:
        rows = self.db.execute("SELECT DISTINCT household_key, case_ids FROM letters").fetchall()
        return sorted({key for key, ids in rows if case_id in ids.split()})


def _period(column: str, since: date | None, until: date | None) -> tuple[str, list[str]]:
    clauses, values = [], []
    if since is not None:
        clauses.append(f"{column} >= ?")
        values.append(since.isoformat())
    if until is not None:
        clauses.append(f"{column} <= ?")
        values.append(until.isoformat())
    return (" AND " + " AND ".join(clauses) if clauses else ""), values


def ledger_report(ledger: Ledger, since: date | None = None, until: date | None = None) -> dict:
    """Figures over the ledger: letters per household, per sender and stage, suppressions by rule."""
    db = ledger.db
    where, values = _period("run_date", since, until)
    per_household = db.execute(
        f"SELECT household_key, COUNT(*) FROM letters WHERE status = 'issued'{where} GROUP BY household_key",
        values,
    ).fetchall()
    histogram: dict[int, int] = {}
    for _, count in per_household:
        histogram[count] = histogram.get(count, 0) + 1
    letters = sum(count for _, count in per_household)
    by_sender_stage = db.execute(
        f"SELECT sender, stage, COUNT(*) FROM letters WHERE status = 'issued'{where}"
        " GROUP BY sender, stage ORDER BY sender, stage",
        values,
    ).fetchall()
    by_letter = db.execute(
        f"SELECT letter_id, COUNT(*) FROM letters WHERE status = 'issued'{where} GROUP BY letter_id ORDER BY 2 DESC",
        values,
    ).fetchall()
    run_where, run_values = _period("r.run_date", since, until)
    suppressed = db.execute(
        "SELECT s.code, COUNT(*), COUNT(DISTINCT s.household_key) FROM suppressions s JOIN runs r ON r.run_id = s.run_id"
        f" WHERE r.status = 'done'{run_where} GROUP BY s.code ORDER BY 2 DESC",
        run_values,
    ).fetchall()
    runs = db.execute(
        "SELECT r.run_id, r.run_date, r.status, r.stats FROM runs r"
        f" WHERE 1 = 1{run_where} ORDER BY r.started_at",
        run_values,
    ).fetchall()
    return {
        "period": {
            "since": since.isoformat() if since else None,
            "until": until.isoformat() if until else None,
        },
        "households": len(per_household),
        "letters": letters,
        "letters_per_household": {
            "mean": round(letters / len(per_household), 2) if per_household else 0,
            "max": max(histogram, default=0),
            "histogram": {str(k): histogram[k] for k in sorted(histogram)},
        },
        "by_sender_and_stage": [
            {"sender": a, "stage": b, "letters": n} for a, b, n in by_sender_stage
        ],
        "by_letter": {letter: n for letter, n in by_letter},
        "suppressed_by_rule": {code: {"letters": n, "households": h} for code, n, h in suppressed},
        "runs": [
            {
                "run_id": run_id,
                "run_date": run_date,
                "status": status,
                **(json.loads(stats) if stats else {}),
            }
            for run_id, run_date, status, stats in runs
        ],
    }
