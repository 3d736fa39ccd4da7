"""The SQLite database every capability keeps its state in.

One connection guarded by a lock: SQLite serialises writers anyway, Python's GIL serialises
the rest, and a single connection makes an in-memory (--ephemeral) store behave exactly like
the file-backed one. Each capability owns its tables and declares its schema as an ordered list
of migrations under its own component name; versions are tracked per component, so capabilities
evolve their schemas independently.

Durability: WAL journal, and a write transaction commits before its caller returns, so what a
response acknowledges survives the process being killed (synchronous=NORMAL is crash-safe for
process death; `durability="full"` also survives power loss at the price of an fsync per commit).
"""
from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

DB_FILE = "ssm-emulator.sqlite3"


@dataclass(frozen=True)
class Migration:
    version: int
    sql: str


class Database:
    def __init__(self, data_dir: Path | None, durability: str = "normal") -> None:
        """`data_dir=None` keeps everything in memory (the --ephemeral mode)."""
        if data_dir is None:
            target = ":memory:"
        else:
            data_dir.mkdir(parents=True, exist_ok=True)
            target = str(data_dir / DB_FILE)
        self.path = target
        self._conn = sqlite3.connect(target, check_same_thread=False, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        self._lock = threading.RLock()
        if data_dir is not None:
            self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute(f"PRAGMA synchronous={'FULL' if durability == 'full' else 'NORMAL'}")
        self._conn.execute("PRAGMA foreign_keys=ON")
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " component TEXT PRIMARY KEY, version INTEGER NOT NULL)"
        )

    def migrate(self, component: str, migrations: Sequence[Migration]) -> None:
        """Apply the migrations of `component` newer than the version the database has."""
        with self.write() as conn:
            row = conn.execute(
                "SELECT version FROM schema_migrations WHERE component = ?", (component,)
            ).fetchone()
            current = row[0] if row else 0
            for migration in sorted(migrations, key=lambda m: m.version):
                if migration.version <= current:
                    continue
                for statement in _statements(migration.sql):
                    conn.execute(statement)
                current = migration.version
            conn.execute(
                "INSERT INTO schema_migrations (component, version) VALUES (?, ?)"
                " ON CONFLICT(component) DO UPDATE SET version = excluded.version",
                (component, current),
            )

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            yield self._conn

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def reset(self) -> None:
        """Delete every row of every capability table (the schema stays)."""
        with self.write() as conn:
            tables = [
                r[0]
                for r in conn.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table'"
                    " AND name NOT LIKE 'sqlite_%' AND name != 'schema_migrations'"
                )
            ]
            conn.execute("PRAGMA defer_foreign_keys=ON")
            for table in tables:
                conn.execute(f'DELETE FROM "{table}"')

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def newest_first(
    conn: sqlite3.Connection, select: str, args: Sequence[object], where: Sequence[str], params: Sequence[object],
    before: int | None, limit: int, key: str,
) -> list[sqlite3.Row]:
    """A keyset page of `select` (a SELECT ... WHERE ... with its `args`) by descending `key`: the rows below
    `before` that match every `where` condition (with `params`), `limit` at most."""
    sql, values = select, list(args)
    if before is not None:
        sql += f" AND {key} < ?"
        values.append(before)
    for condition in where:
        sql += f" AND ({condition})"
    values += params
    return conn.execute(f"{sql} ORDER BY {key} DESC LIMIT ?", [*values, limit]).fetchall()


def _statements(sql: str) -> list[str]:
    return [s.strip() for s in sql.split(";") if s.strip()]
