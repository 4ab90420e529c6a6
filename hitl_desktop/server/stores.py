"""The workflow store a `--database` names: a SQLite file, or a PostgreSQL server by URL.

Both are llama-agents-server's own stores, which keep a paused run (its state and every event)
across a restart or a crash, each wrapped so that the server's event loop never waits on a
write it could do without: the SQLite one runs every statement on a writer thread (sqlite_store),
the PostgreSQL one writes a run's streamed events in batches (postgres_store). Both read a
stream a page at a time (event_pages).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from llama_agents.server import AbstractWorkflowStore

from hitl_desktop.core import paths
from hitl_desktop.core.redaction import register_secret
from hitl_desktop.server.sqlite_store import WalSqliteWorkflowStore

POSTGRES_SCHEMES = ("postgresql", "postgres")
DEFAULT_SQLITE_NAME = "team-server.sqlite3"


def default_database() -> Path:
    """Where the server keeps its runs unless told otherwise: the app's data folder."""
    return paths.data_dir() / DEFAULT_SQLITE_NAME


def is_postgres(database: str) -> bool:
    return urlsplit(database).scheme in POSTGRES_SCHEMES


def open_store(database: str) -> AbstractWorkflowStore:
    """The store for `database`; a SQLite file's folder is created, a URL's password is
    registered as a secret so no log line carries it."""
    if is_postgres(database):
        register_secret(urlsplit(database).password)
        from hitl_desktop.server.postgres_store import BatchingPostgresWorkflowStore  # asyncpg: only when asked for

        return BatchingPostgresWorkflowStore(database)
    path = Path(database).expanduser()
    paths.ensure_dir(path.parent)
    return WalSqliteWorkflowStore(str(path))


async def close_store(store: AbstractWorkflowStore) -> None:
    """At shutdown: events still queued are committed, connections closed (the SQLite store's
    writer thread finishes its queue when the process exits)."""
    close = getattr(store, "close", None)  # not part of the library's store interface
    if close is not None:
        await close()


def describe(database: str) -> str:
    """The database as a log line may name it: a URL without its password."""
    if not is_postgres(database):
        return f"SQLite {Path(database).expanduser()}"
    parts = urlsplit(database)
    if parts.password is None:
        return f"PostgreSQL {database}"
    host = parts.netloc.rsplit("@", 1)[1]
    return f"PostgreSQL {urlunsplit(parts._replace(netloc=f'{parts.username}:***@{host}'))}"
