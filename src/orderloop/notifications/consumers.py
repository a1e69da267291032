"""Notifications are a consumer of the event spine: each area's events that someone must hear about are
answered in one module of `reactions/` per area (found here, so adding one needs no change elsewhere)."""

from __future__ import annotations

import pkgutil
from importlib import import_module

from . import reactions

for _module in pkgutil.iter_modules(reactions.__path__):
    import_module(f"{reactions.__name__}.{_module.name}")
