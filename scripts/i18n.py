"""Translation workflow helper (maintainers' tool, not used at run time).

    python scripts/i18n.py extract            # makemessages for uk, ru, sv, ar (keeps existing translations)
    python scripts/i18n.py todo uk > todo.json  # untranslated/fuzzy entries of one language as JSON
    python scripts/i18n.py apply uk done.json   # write translations from JSON back into the .po file
    python scripts/i18n.py status             # untranslated counts per language

JSON entries: {"msgid": "...", "msgid_plural": "..." (optional), "msgctxt": "..." (optional),
"msgstr": "..."} or, for plurals, "msgstr_plural": {"0": "...", "1": "...", ...} with as many forms as the
language's Plural-Forms header says (uk/ru: 4 in Django's catalogues, ar: 6, sv: 2).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "orderloop"
LANGUAGES = ["uk", "ru", "sv", "ar"]
PLURAL_FORMS = {
    "uk": "nplurals=4; plural=(n % 1 == 0 && n % 10 == 1 && n % 100 != 11 ? 0 : n % 1 == 0 && n % 10 >= 2 && n % 10 <= 4 && (n % 100 < 12 || n % 100 > 14) ? 1 : n % 1 == 0 && (n % 10 ==0 || (n % 10 >=5 && n % 10 <=9) || (n % 100 >=11 && n % 100 <=14 )) ? 2: 3);",
    "ru": "nplurals=4; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && (n%100<12 || n%100>14) ? 1 : n%10==0 || (n%10>=5 && n%10<=9) || (n%100>=11 && n%100<=14)? 2 : 3);",
    "sv": "nplurals=2; plural=(n != 1);",
    "ar": "nplurals=6; plural=n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : n%100>=3 && n%100<=10 ? 3 : n%100>=11 && n%100<=99 ? 4 : 5;",
}


def po_path(language: str) -> Path:
    return PACKAGE / "locale" / language / "LC_MESSAGES" / "django.po"


def fix_header(language: str) -> None:
    catalogue = polib.pofile(str(po_path(language)))
    catalogue.metadata.update(
        {
            "Project-Id-Version": "Orderloop",
            "Language": language,
            "Plural-Forms": PLURAL_FORMS[language],
            "Content-Type": "text/plain; charset=UTF-8",
        }
    )
    catalogue.metadata_is_fuzzy = False
    catalogue.save()


def extract() -> None:
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "manage.py"),
            "makemessages",
            *[f"-l{code}" for code in LANGUAGES],
            "--no-obsolete",
            "--no-location",
            "-i",
            "migrations/*",
            "-i",
            "static/*",
        ],
        cwd=PACKAGE,
        check=True,
    )
    for language in LANGUAGES:
        fix_header(language)


def todo(language: str) -> None:
    catalogue = polib.pofile(str(po_path(language)))
    items = []
    for entry in catalogue:
        if entry.obsolete or (entry.translated() and "fuzzy" not in entry.flags):
            continue
        item = {"msgid": entry.msgid}
        if entry.msgid_plural:
            item["msgid_plural"] = entry.msgid_plural
        if entry.msgctxt:
            item["msgctxt"] = entry.msgctxt
        items.append(item)
    json.dump(items, sys.stdout, ensure_ascii=False, indent=1)


def apply(language: str, path: str) -> None:
    catalogue = polib.pofile(str(po_path(language)))
    done = json.loads(Path(path).read_text(encoding="utf-8"))
    applied = 0
    for item in done:
        entry = catalogue.find(item["msgid"], msgctxt=item.get("msgctxt"))
        if entry is None:
            print(f"not in catalogue: {item['msgid']!r}", file=sys.stderr)
            continue
        if entry.msgid_plural:
            forms = item.get("msgstr_plural") or {}
            entry.msgstr_plural = {int(k): v for k, v in forms.items()}
        else:
            entry.msgstr = item.get("msgstr", "")
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
        applied += 1
    catalogue.save()
    print(f"{language}: applied {applied} translation(s)", file=sys.stderr)


def status() -> None:
    for language in LANGUAGES:
        catalogue = polib.pofile(str(po_path(language)))
        missing = [e for e in catalogue if not e.obsolete and (not e.translated() or "fuzzy" in e.flags)]
        print(f"{language}: {len(catalogue)} strings, {len(missing)} untranslated")


if __name__ == "__main__":
    command, *rest = sys.argv[1:] or ["status"]
    {"extract": extract, "todo": todo, "apply": apply, "status": status}[command](*rest)  # type: ignore[operator]
