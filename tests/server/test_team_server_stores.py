"""Which store a `--database` opens, and how the server names it in its log."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from hitl_desktop.server import stores
from hitl_desktop.server.postgres_store import BatchingPostgresWorkflowStore


def test_a_sqlite_path_opens_the_sqlite_store_in_wal_mode_creating_its_folder(tmp_path: Path) -> None:
    database = tmp_path / "new folder" / "team.sqlite3"
    store = stores.open_store(str(database))
    assert isinstance(store, stores.WalSqliteWorkflowStore)
    asyncio.run(store.query_events("no-such-run"))  # usable: the schema is in place
    with sqlite3.connect(database) as other:
        assert other.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert stores.describe(str(database)) == f"SQLite {database}"


def test_the_default_database_is_in_the_app_data_folder(isolated_home: Path) -> None:
    assert stores.default_database() == isolated_home / ".local" / "share" / "hitl-desktop" / "team-server.sqlite3"


def test_a_postgres_url_is_named_without_its_password() -> None:
    url = "postgresql://team:s3cret-passw0rd@db.example:5432/hitl"
    assert stores.is_postgres(url) and stores.is_postgres("postgres://db/hitl")
    assert not stores.is_postgres("/var/lib/hitl/team.sqlite3")
    assert isinstance(stores.open_store(url), BatchingPostgresWorkflowStore)  # connects when started
    assert stores.describe(url) == "PostgreSQL postgresql://team:***@db.example:5432/hitl"
    assert stores.describe("postgresql://db.example/hitl") == "PostgreSQL postgresql://db.example/hitl"
