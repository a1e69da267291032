"""One direction of dependencies: the import-linter contracts in `.importlinter` (docs/architecture.md,
"Layers") hold for the code, so `make test` fails on a new cycle between areas just as `make lint` does."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / ".importlinter"


def _lint_imports(config: Path) -> subprocess.CompletedProcess[str]:
    """import-linter's documented command line, on the installed `orderloop` package."""
    command = Path(sys.executable).with_name("lint-imports")
    executable = str(command) if command.exists() else shutil.which("lint-imports")
    assert executable, "import-linter is a dev dependency: pip install -e '.[dev]'"
    return subprocess.run(
        [executable, "--no-cache", str(config)], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def test_every_area_depends_downward_only_and_selectors_never_import_services() -> None:
    result = _lint_imports(CONFIG)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Areas depend downward only" in result.stdout
    assert "Selectors never import services" in result.stdout
    assert "0 broken" in result.stdout


def test_an_import_against_the_layers_breaks_the_contract(tmp_path: Path) -> None:
    """The contract reads the real import graph: with orders put below inventory, orders' imports of
    inventory (stock rows, reservations) are reported as breaking it."""
    text = CONFIG.read_text()
    swapped = text.replace(
        "    orders\n    inventory | promotions\n", "    inventory | promotions\n    orders\n"
    )
    assert swapped != text, "the layers in .importlinter no longer list orders right above inventory"
    config = tmp_path / "swapped.importlinter"
    config.write_text(swapped)

    result = _lint_imports(config)

    assert result.returncode != 0
    assert "orderloop.orders is not allowed to import orderloop.inventory" in result.stdout
