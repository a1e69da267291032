"""Write docs/events.md from the event catalogue (or, with --check, fail when it is out of date)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from orderloop.core import consumers, events

REPO = Path(__file__).resolve().parents[5]
INTRO = """# Domain events

Every state change appends one domain event in the same transaction as the change (the event spine;
see docs/architecture.md). This page is written by `manage.py event_catalogue` from the catalogue the
areas declare in their `event_types.py` modules; a test fails when it is out of date.

## The envelope

Webhooks and the event feed carry each event in this shape:

```json
{"id": "4711", "type": "order.confirmed", "subject": {"type": "order", "id": "1011"},
 "sequence": 2, "occurred_at": "2026-12-07T10:15:00+00:00", "version": 1,
 "data": {"from": "new", "to": "confirmed", "number": "1011", "reason": ""}}
```

- `id`: unique, increasing in the order events were written (a string: treat it as opaque).
- `subject`: what the event is about; `sequence` counts that subject's events from 1 without gaps, so a
  receiver can put them in order and drop a duplicate.
- `version`: the version of the type's `data` shape. A change that removes or renames a field gets a new
  version; new optional fields do not.
- `data`: the payload below. Money is `{"amount": "<decimal string>", "currency": "<ISO 4217>"}`.

## Consumers

| consumer | types |
|---|---|
"""


def schema_table(payload: Any) -> list[str]:
    schema = payload.model_json_schema(by_alias=True)
    required = set(schema.get("required", []))
    rows = []
    for name, spec in schema.get("properties", {}).items():
        kind = spec.get("type") or " | ".join(
            part.get("type", part.get("$ref", "").rsplit("/", 1)[-1]) for part in spec.get("anyOf", [])
        )
        if not kind and "$ref" in spec:
            kind = spec["$ref"].rsplit("/", 1)[-1]
        if kind == "array":
            item = spec.get("items", {})
            kind = f"list of {item.get('type') or item.get('$ref', '').rsplit('/', 1)[-1]}"
        rows.append(f"`{name}` ({kind}{'' if name in required else ', optional'})")
    return rows


def render() -> str:
    lines = [INTRO.rstrip("\n")]
    for c in consumers._consumers.values():  # every declared one, switched on or not
        lines.append(f"| `{c.name}` | {', '.join(f'`{t}`' for t in c.types)} |")
    by_subject: dict[str, list[events.EventType]] = {}
    for kind in events.catalogue().values():
        by_subject.setdefault(kind.subject_type, []).append(kind)
    lines += ["", "## Event types", ""]
    for subject, kinds in sorted(by_subject.items()):
        lines += [f"### {subject}", "", "| type | version | what happened | data |", "|---|---|---|---|"]
        for kind in kinds:
            fields = ", ".join(schema_table(kind.payload))
            lines.append(f"| `{kind.name}` | {kind.version} | {kind.description} | {fields} |")
        lines.append("")
        shapes = {k.payload.__name__: k.payload for k in kinds}
        for name, payload in shapes.items():
            nested = payload.model_json_schema(by_alias=True).get("$defs", {})
            for def_name, spec in nested.items():
                props = ", ".join(f"`{p}`" for p in spec.get("properties", {}))
                line = f"- `{def_name}` (in `{name}`): {props}"
                if line not in lines:
                    lines.append(line)
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


class Command(BaseCommand):
    help = "Write docs/events.md from the event catalogue; --check fails when it is out of date."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--check", action="store_true")
        parser.add_argument("--json", action="store_true", help="print the catalogue as JSON schemas")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["json"]:
            catalogue = {
                k.name: {
                    "subject": k.subject_type,
                    "version": k.version,
                    "schema": k.payload.model_json_schema(),
                }
                for k in events.catalogue().values()
            }
            self.stdout.write(json.dumps(catalogue, indent=2))
            return
        target = REPO / "docs" / "events.md"
        text = render()
        if options["check"]:
            if not target.exists() or target.read_text() != text:
                raise CommandError("docs/events.md is out of date: run `manage.py event_catalogue`")
            return
        target.write_text(text)
        self.stdout.write(f"wrote {target} ({len(events.catalogue())} event types)")
