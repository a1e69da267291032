"""Backup and restore of a whole installation: the database and the uploaded files, in one archive.

`manage.py backup --output FILE` writes a tar archive with

- `database.dump` (PostgreSQL: `pg_dump --format=custom`, taken in a snapshot exported by our own
  transaction, so the counts in the manifest are those of the dump) or `database.sqlite3` (SQLite's
  online backup API: a consistent copy while the shop runs, the WAL included);
- `files/<storage>/…`: every file of each file-system storage (uploaded media: return photos, return
  labels, …);
- `manifest.json`: format, engine, time, the number of rows of the tables that matter (orders, order
  lines, stock rows and ledger rows, returns, payments, messages) and each file's size and SHA-256.

`manage.py restore FILE` puts it into an empty database of the same engine (PostgreSQL: `pg_restore`
into a database made with `createdb`; SQLite: a database file that does not exist yet) and empty file
storages, then checks the row counts and every file against the manifest and runs the stock ledger
check. It refuses a database or storage that already holds data: restoring is for a new machine or a
rescue copy, never a merge.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from django.apps import apps
from django.conf import settings
from django.core.files.storage import FileSystemStorage, storages
from django.db import connection, transaction
from django.dispatch import Signal
from django.utils import timezone

FORMAT = "orderloop-backup"
VERSION = 1
MANIFEST = "manifest.json"
PG_DUMP = "database.dump"
SQLITE_COPY = "database.sqlite3"
# Counted in the manifest and checked after a restore.
COUNTED_MODELS = (
    "orders.Order",
    "orders.OrderLine",
    "orders.OrderEvent",
    "inventory.StockLevel",
    "inventory.StockMovement",
    "payments.Payment",
    "returns.ReturnRequest",
    "returns.ReturnPhoto",
    "notifications.CustomerMessage",
    "auth.User",
)


class BackupError(Exception):
    """Something the operator must fix; the message says what."""


# Sent after a restore once the counts and files match: each area checks its own invariants on the
# restored data (inventory: the stock ledger) and returns a list of problems, empty when all is sound.
# A signal, so core names no area.
restore_checks = Signal()


@dataclass(frozen=True)
class RestoreReport:
    counts: dict[str, int]
    files: int
    ledger_rows: int


# --- Where things are ---------------------------------------------------------------------------------


def engine() -> str:
    return "postgresql" if connection.vendor == "postgresql" else "sqlite"


def file_storages() -> dict[str, Path]:
    """Every configured storage that keeps files on this machine's disk (static files excepted: they
    come with the code), by alias."""
    found = {}
    for alias in settings.STORAGES:
        if alias == "staticfiles":
            continue
        storage = storages[alias]
        if isinstance(storage, FileSystemStorage):
            found[alias] = Path(storage.location)
    return found


def _files_under(root: Path) -> Iterator[Path]:
    if root.is_dir():
        for path in sorted(root.rglob("*")):
            if path.is_file() and not path.is_symlink():
                yield path


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _table_counts(cursor: Any) -> dict[str, int]:
    counts = {}
    for label in COUNTED_MODELS:
        table = connection.ops.quote_name(apps.get_model(label)._meta.db_table)
        cursor.execute(f"SELECT count(*) FROM {table}")
        counts[label] = int(cursor.fetchone()[0])
    return counts


def _pg_environment() -> dict[str, str]:
    """libpq's variables for pg_dump / pg_restore: the database Django is connected to."""
    db = connection.settings_dict
    env = dict(os.environ)
    for variable, value in (
        ("PGHOST", db.get("HOST")),
        ("PGPORT", db.get("PORT")),
        ("PGUSER", db.get("USER")),
        ("PGPASSWORD", db.get("PASSWORD")),
        ("PGDATABASE", db.get("NAME")),
    ):
        if value:
            env[variable] = str(value)
    for option, variable in (("sslmode", "PGSSLMODE"), ("sslrootcert", "PGSSLROOTCERT")):
        if db.get("OPTIONS", {}).get(option):
            env[variable] = str(db["OPTIONS"][option])
    return env


def _run(command: list[str], env: dict[str, str]) -> None:
    if shutil.which(command[0]) is None:
        raise BackupError(
            f"{command[0]} is not installed: install PostgreSQL's client tools (Debian: postgresql-client)"
        )
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip() or result.stdout.strip()}")


# --- Backup -------------------------------------------------------------------------------------------


def backup(output: Path) -> dict[str, Any]:
    """Write the archive to `output` (atomically: a temporary file renamed at the end). Returns the
    manifest."""
    output = output.resolve()
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="orderloop-backup-", dir=output.parent) as work:
        workdir = Path(work)
        if engine() == "postgresql":
            database_file, counts = _dump_postgresql(workdir / PG_DUMP)
        else:
            database_file, counts = _copy_sqlite(workdir / SQLITE_COPY)
        files: list[dict[str, Any]] = []
        for alias, root in file_storages().items():
            for path in _files_under(root):
                files.append(
                    {
                        "storage": alias,
                        "name": path.relative_to(root).as_posix(),
                        "size": path.stat().st_size,
                        "sha256": _sha256(path),
                    }
                )
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "created_at": timezone.now().isoformat(),
            "engine": engine(),
            "database_file": database_file.name,
            "database_sha256": _sha256(database_file),
            "counts": counts,
            "files": files,
        }
        manifest_path = workdir / MANIFEST
        manifest_path.write_text(json.dumps(manifest, indent=2))
        partial = workdir / "archive.tar"
        with tarfile.open(partial, "w") as archive:
            archive.add(manifest_path, arcname=MANIFEST)
            archive.add(database_file, arcname=database_file.name)
            roots = file_storages()
            for entry in files:
                archive.add(
                    roots[entry["storage"]] / entry["name"],
                    arcname=f"files/{entry['storage']}/{entry['name']}",
                )
        os.replace(partial, output)
    return manifest


def _dump_postgresql(target: Path) -> tuple[Path, dict[str, int]]:
    """pg_dump in the snapshot of our own REPEATABLE READ transaction: the counts are the dump's."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        counts = _table_counts(cursor)
        _run(
            [
                "pg_dump",
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--snapshot={snapshot}",
                f"--file={target}",
            ],
            _pg_environment(),
        )
    return target, counts


def _copy_sqlite(target: Path) -> tuple[Path, dict[str, int]]:
    source = sqlite3.connect(connection.settings_dict["NAME"], timeout=30)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
    finally:
        source.close()
    try:
        counts = {}
        for label in COUNTED_MODELS:
            table = apps.get_model(label)._meta.db_table
            counts[label] = int(copy.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0])
    finally:
        copy.close()
    return target, counts


# --- Restore ------------------------------------------------------------------------------------------


def read_manifest(archive: tarfile.TarFile) -> dict[str, Any]:
    try:
        member = archive.extractfile(MANIFEST)
    except KeyError:
        member = None
    if member is None:
        raise BackupError("not an Orderloop backup (no manifest.json)")
    manifest: dict[str, Any] = json.loads(member.read())
    if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        raise BackupError(
            f"unknown backup format {manifest.get('format')!r} version {manifest.get('version')!r}"
        )
    return manifest


def _database_is_empty() -> bool:
    if connection.vendor == "sqlite" and not Path(connection.settings_dict["NAME"]).exists():
        return True  # not made yet (connecting would make it, in a directory that may not exist)
    return not connection.introspection.table_names()


def restore(source: Path) -> RestoreReport:
    """Restore the archive into this installation's (empty) database and (empty) file storages, then
    check the result against the manifest. Raises BackupError with the reason when it cannot."""
    with tarfile.open(source, "r") as archive:
        manifest = read_manifest(archive)
        if manifest["engine"] != engine():
            raise BackupError(
                f"this is a backup of a {manifest['engine']} database and this installation uses {engine()}: "
                "restore it into the same engine (to move between engines see docs/operations.md)"
            )
        if not _database_is_empty():
            raise BackupError(
                f"the database {connection.settings_dict['NAME']} is not empty: restore into a new, empty "
                "database (PostgreSQL: createdb; SQLite: a path where no database file exists yet)"
            )
        roots = file_storages()
        for alias in {entry["storage"] for entry in manifest["files"]}:
            if alias not in roots:
                raise BackupError(
                    f"the backup has files of the storage {alias!r}, which is not configured here"
                )
            if any(_files_under(roots[alias])):
                raise BackupError(f"{roots[alias]} already holds files: restore into an empty directory")
        with tempfile.TemporaryDirectory(prefix="orderloop-restore-") as work:
            workdir = Path(work)
            archive.extractall(workdir, filter="data")  # no absolute paths, no escaping the directory
            database_file = workdir / manifest["database_file"]
            if _sha256(database_file) != manifest["database_sha256"]:
                raise BackupError("the database file in the backup is damaged (its checksum does not match)")
            if manifest["engine"] == "postgresql":
                _run(
                    [
                        "pg_restore",
                        "--no-owner",
                        "--no-privileges",
                        "--exit-on-error",
                        f"--dbname={connection.settings_dict['NAME']}",
                        str(database_file),
                    ],
                    _pg_environment(),
                )
            else:
                _restore_sqlite(database_file)
            for entry in manifest["files"]:
                target = roots[entry["storage"]] / entry["name"]
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(workdir / "files" / entry["storage"] / entry["name"], target)
    return verify(manifest)


def _restore_sqlite(database_file: Path) -> None:
    connection.close()
    target = Path(connection.settings_dict["NAME"])
    target.parent.mkdir(parents=True, exist_ok=True)
    for leftover in (Path(f"{target}-wal"), Path(f"{target}-shm"), target):
        leftover.unlink(missing_ok=True)  # the empty database Django may have opened to look
    partial = target.with_name(f".{target.name}.restoring")
    shutil.copyfile(database_file, partial)
    os.replace(partial, target)


def verify(manifest: dict[str, Any]) -> RestoreReport:
    """The restored database and files are those of the manifest; the stock ledger is true."""
    connection.close()
    with connection.cursor() as cursor:
        counts = _table_counts(cursor)
    if counts != manifest["counts"]:
        differences = {
            label: (manifest["counts"].get(label), counts.get(label))
            for label in COUNTED_MODELS
            if manifest["counts"].get(label) != counts.get(label)
        }
        raise BackupError(f"the restored database differs from the backup (backup, restored): {differences}")
    roots = file_storages()
    for entry in manifest["files"]:
        path = roots[entry["storage"]] / entry["name"]
        if not path.is_file() or _sha256(path) != entry["sha256"]:
            raise BackupError(f"the restored file {path} differs from the backup")
    problems: list[str] = []
    for _receiver, found in restore_checks.send(sender=RestoreReport):
        problems.extend(cast(list[str], found))  # django-stubs types an answer as str | None; ours are lists
    if problems:
        raise BackupError("; ".join(problems))
    return RestoreReport(
        counts=counts, files=len(manifest["files"]), ledger_rows=counts["inventory.StockMovement"]
    )
