"""The secret key of an installation that is not told one (development, `make run`).

Django signs sessions, CSRF tokens and the customers' tracking and return links with SECRET_KEY. A key
written in the source would let anyone sign a tracking link for any order of any shop that kept it, so
each installation makes its own random key on first use and keeps it in its data directory
(`var/secret_key`, readable by its owner only). Production reads SECRET_KEY from the environment and
refuses to start without it (settings.py). Standard library only: settings import this.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

FILE_NAME = "secret_key"


def installation_secret_key(var_dir: Path) -> str:
    """The key kept in `var_dir`, made (50+ random characters, mode 0600) if there is none yet.

    Several processes may start at once (`make run` starts three): the key is written to a private
    temporary file and linked into place, so every process reads the same complete key."""
    path = var_dir / FILE_NAME
    try:
        key = path.read_text().strip()
    except FileNotFoundError:
        key = ""
    if key:
        return key
    var_dir.mkdir(parents=True, exist_ok=True)
    temporary = var_dir / f".{FILE_NAME}.{os.getpid()}.{secrets.token_hex(4)}"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(secrets.token_urlsafe(64) + "\n")
    try:
        os.link(temporary, path)  # fails if another process was first: then its key is the key
    except FileExistsError:
        pass
    finally:
        temporary.unlink()
    return path.read_text().strip()
