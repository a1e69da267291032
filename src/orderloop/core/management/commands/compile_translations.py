from pathlib import Path
from typing import Any

import polib
from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.translation.reloader import translation_file_changed


class Command(BaseCommand):
    help = "Compile every .po catalogue under LOCALE_PATHS to .mo (pure Python, no GNU gettext needed)."

    def handle(self, *args: Any, **options: Any) -> None:
        compiled = 0
        for locale_dir in settings.LOCALE_PATHS:
            for po_path in Path(locale_dir).glob("*/LC_MESSAGES/*.po"):
                mo_path = po_path.with_suffix(".mo")
                if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                    continue
                polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
                compiled += 1
                # A process that already loaded a language (before this catalogue existed) would go on
                # serving the stale one: drop Django's translation caches, as its autoreloader does.
                translation_file_changed(sender=None, file_path=mo_path)
        self.stdout.write(f"compiled {compiled} catalogue(s)")
