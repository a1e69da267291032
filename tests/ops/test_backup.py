"""Backup and restore (`manage.py backup`, `manage.py restore`, core/backup.py), on both engines: a shop
with orders, a ledger, a return with its photo and label (in the private documents storage), backed up
while it runs and restored into a fresh database and empty file directories, has every order, every
ledger row and every document back, byte for byte; restoring over existing data is refused."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from PIL import Image

from orderloop.inventory.models import StockMovement
from orderloop.orders.models import Order
from orderloop.returns import services as returns
from orderloop.returns.models import ReturnPhoto, ReturnRequest
from orderloop.returns.photos import PhotoUpload
from orderloop.returns.services import LineInput
from tests.conftest import require_system_tool
from tests.orders.conftest import methods, stocked  # noqa: F401 (fixtures of the returns fixtures)
from tests.returns.conftest import _no_gift, delivered, shop  # noqa: F401 (fixtures)

from .conftest import ROOT, process_env

pytestmark = pytest.mark.django_db(transaction=True)

RESTORED_SHOP = """
import hashlib, json
from orderloop.inventory.models import StockMovement
from orderloop.orders.models import Order
from orderloop.returns.models import ReturnPhoto, ReturnRequest
print(json.dumps({
    "orders": sorted(Order.objects.values_list("number", "status", "total_amount")),
    "ledger": sorted(StockMovement.objects.values_list("id", "reason", "on_hand_delta", "reserved_delta", "reference")),
    "documents": sorted(
        [(photo.image.name, hashlib.sha256(photo.image.open("rb").read()).hexdigest())
         for photo in ReturnPhoto.objects.all()]
        + [(rma.label_file.name, hashlib.sha256(rma.label_file.open("rb").read()).hexdigest())
           for rma in ReturnRequest.objects.exclude(label_file="")]
    ),
}, default=str))
"""


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "teal").save(buffer, format="PNG")
    return buffer.getvalue()


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def fresh_database(tmp_path: Path) -> Iterator[str]:
    """The DATABASE_URL of a database that does not exist yet (SQLite) or is empty (PostgreSQL)."""
    if connection.vendor != "postgresql":
        yield f"sqlite:///{tmp_path / 'restored' / 'orderloop.sqlite3'}"
        return
    require_system_tool("pg_restore", "PostgreSQL's client tools restore the dump")
    name = f"{connection.settings_dict['NAME']}_restored"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    db = connection.settings_dict
    try:
        yield f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_backup_restores_every_order_ledger_row_and_document(
    settings: Any,
    tmp_path: Path,
    delivered: Callable[..., Order],  # noqa: F811 (the fixture imported above)
    fresh_database: str,
) -> None:
    if connection.vendor == "postgresql":
        require_system_tool("pg_dump", "PostgreSQL's client tools take the dump")
    media, private = tmp_path / "media", tmp_path / "private"
    settings.MEDIA_ROOT = str(media)
    settings.STORAGES = {
        **settings.STORAGES,
        "documents": {**settings.STORAGES["documents"], "OPTIONS": {"location": str(private)}},
    }
    orders = [delivered(("TEE-S", 2)), delivered(("TEE-M", 1)), delivered(("EAR-1", 1))]
    order = orders[0]
    by_sku = {line.sku: line for line in order.lines.all()}
    rma = returns.return_open(
        order_id=order.pk,
        lines=[LineInput(order_line_id=by_sku["TEE-S"].pk, quantity=1, reason="wrong_size")],
        method="post",
        channel="portal",
        actor=None,
        photos=[PhotoUpload(name="stain.png", content=_png())],
    )
    returns.return_label_create(rma_id=rma.pk)
    rma = ReturnRequest.objects.get(pk=rma.pk)
    assert rma.label_file and ReturnPhoto.objects.filter(request=rma).count() == 1
    source_env = process_env(MEDIA_ROOT=str(media), PRIVATE_MEDIA_ROOT=str(private))

    archive = tmp_path / "backups" / "orderloop.tar"
    made = _manage("backup", "--output", str(archive), env=source_env)
    assert made.returncode == 0, made.stderr
    assert "3 orders" in made.stdout and "2 file(s)" in made.stdout
    shop_before = json.loads(_manage("shell", "-v", "0", "-c", RESTORED_SHOP, env=source_env).stdout)
    assert len(shop_before["orders"]) == 3 and len(shop_before["documents"]) == 2
    assert len(shop_before["ledger"]) == StockMovement.objects.count() >= 9

    restored_env = {
        **source_env,
        "DATABASE_URL": fresh_database,
        "MEDIA_ROOT": str(tmp_path / "restored-media"),
        "PRIVATE_MEDIA_ROOT": str(tmp_path / "restored-private"),
    }
    restored = _manage("restore", str(archive), env=restored_env)
    assert restored.returncode == 0, restored.stderr
    assert "Restored and verified: 3 orders" in restored.stdout and "2 file(s)" in restored.stdout
    shop_after = json.loads(_manage("shell", "-v", "0", "-c", RESTORED_SHOP, env=restored_env).stdout)
    assert shop_after == shop_before
    ledger = _manage("check_stock_ledger", env=restored_env)
    assert ledger.returncode == 0 and ledger.stdout.startswith("OK"), ledger.stderr
    photo = ReturnPhoto.objects.get(request=rma)
    restored_photo = tmp_path / "restored-private" / photo.image.name
    assert hashlib.sha256(restored_photo.read_bytes()).hexdigest() == hashlib.sha256(_png()).hexdigest()

    # Restoring over data is refused, and says why.
    again = _manage("restore", str(archive), env=restored_env)
    assert again.returncode != 0 and "is not empty" in again.stderr


def test_restore_refuses_what_is_not_a_backup_of_this_engine(tmp_path: Path, fresh_database: str) -> None:
    import tarfile

    bogus = tmp_path / "other.tar"
    manifest = tmp_path / "manifest.json"
    other_engine = "sqlite" if connection.vendor == "postgresql" else "postgresql"
    manifest.write_text(
        json.dumps(
            {"format": "orderloop-backup", "version": 1, "engine": other_engine, "files": [], "counts": {}}
        )
    )
    with tarfile.open(bogus, "w") as archive:
        archive.add(manifest, arcname="manifest.json")
    env = {
        **process_env(),
        "DATABASE_URL": fresh_database,
        "MEDIA_ROOT": str(tmp_path / "media"),
        "PRIVATE_MEDIA_ROOT": str(tmp_path / "private"),
    }
    refused = _manage("restore", str(bogus), env=env)
    assert refused.returncode != 0 and f"backup of a {other_engine} database" in refused.stderr
    not_a_backup = tmp_path / "notes.tar"
    with tarfile.open(not_a_backup, "w") as archive:
        archive.add(tmp_path / "manifest.json", arcname="notes.json")
    refused = _manage("restore", str(not_a_backup), env=env)
    assert refused.returncode != 0 and "not an Orderloop backup" in refused.stderr
    assert settings.DATABASES  # the suite's own database was never touched
