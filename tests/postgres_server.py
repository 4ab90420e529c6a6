"""A real PostgreSQL for a test: Debian's server binaries, a throwaway cluster in a temporary
folder, listening on 127.0.0.1 on a free port, removed afterwards.

PostgreSQL refuses to run as root; as root the cluster belongs to the `postgres` user (which
Debian's package creates) and its commands run through `runuser`. Where the binaries or that
user are missing, `postgres_cluster` skips the test and says why.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from team_server import free_port

INSTALL_HINT = "PostgreSQL server binaries not found (apt-get install postgresql)"


def server_binaries() -> Path | None:
    """The newest installed PostgreSQL's bin folder."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda path: int(Path(path).parts[-3]) if Path(path).parts[-3].isdigit() else 0)
    return Path(found[-1]).parent if found else None


@contextmanager
def postgres_cluster() -> Iterator[str]:
    """A running cluster's URL (user postgres, no password, database postgres)."""
    binaries = server_binaries()
    if binaries is None:
        pytest.skip(f"{INSTALL_HINT}: no /usr/lib/postgresql/*/bin/initdb")
    as_user: list[str] = []
    owner = None
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip(f"{INSTALL_HINT}: running as root, and there is no 'postgres' user to run it as")
        as_user = ["runuser", "-u", "postgres", "--"]
    folder = Path(tempfile.mkdtemp(prefix="hitl-postgres-"))
    if owner is not None:
        os.chown(folder, owner.pw_uid, owner.pw_gid)
    data, port = folder / "data", free_port()

    def run(*command: str) -> None:
        result = subprocess.run([*as_user, *command], capture_output=True, text=True, timeout=120, check=False)
        if result.returncode != 0:
            log = folder / "server.log"
            raise AssertionError(f"{command[0]} failed: {result.stdout}{result.stderr}"
                                 + (log.read_text(errors="replace") if log.exists() else ""))

    try:
        # No fsync: the test kills our server, never PostgreSQL, and a test cluster need not
        # survive a power cut.
        run(str(binaries / "initdb"), "--pgdata", str(data), "--username", "postgres", "--auth", "trust",
            "--encoding", "UTF8", "--no-sync")
        run(str(binaries / "pg_ctl"), "--pgdata", str(data), "--log", str(folder / "server.log"), "--wait",
            "--timeout", "60", "--options",
            f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off", "start")
        try:
            yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
        finally:
            run(str(binaries / "pg_ctl"), "--pgdata", str(data), "--mode", "immediate", "--wait", "stop")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
