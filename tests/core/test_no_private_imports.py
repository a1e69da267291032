"""No module under src/ depends on a private name of psycopg or Django: no import of a module path or
name starting with `_` from them, and no use of an underscore attribute that is not ours.

Documented exceptions: `Model._meta` (the Model _meta API), `Model._state.adding` / `._state.db`
(the model instance reference), `Model._default_manager` / `._base_manager`; gettext imported as `_`.
An underscore attribute is the libraries' when their source spells that name (`_perm_cache`,
`_property_names`, `fields_cache` under `_state`…); our own underscore attributes (`request._storefront_customer`)
are names the libraries do not use. Internal modules with public-looking paths are listed by name."""

from __future__ import annotations

import ast
import functools
import importlib.util
import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
LIBRARIES = ("django", "psycopg", "psycopg_pool")
DOCUMENTED = {"_meta", "_state", "_default_manager", "_base_manager"}
DOCUMENTED_STATE = {"adding", "db"}
# psycopg's internals behind public-looking paths (fastsql ran statements through them).
INTERNAL_MODULES = {"psycopg.generators", "psycopg.waiting", "psycopg.adapt.Transformer"}
INTERNAL_NAMES = {("psycopg.adapt", "Transformer"), ("psycopg", "generators"), ("psycopg", "waiting")}


@functools.cache
def library_private_names() -> frozenset[str]:
    """Every underscore name spelled in Django's and psycopg's source."""
    names: set[str] = set()
    pattern = re.compile(r"(?<![A-Za-z0-9_])_[A-Za-z][A-Za-z0-9_]*")
    for library in LIBRARIES:
        spec = importlib.util.find_spec(library)
        assert spec is not None and spec.submodule_search_locations
        for location in spec.submodule_search_locations:
            for path in Path(location).rglob("*.py"):
                names.update(pattern.findall(path.read_text(errors="replace")))
    return frozenset(name for name in names if _private(name))


def _modules() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py") if "migrations" not in p.parts)


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def our_private_names(trees: list[ast.Module]) -> set[str]:
    """Underscore names src/ defines itself: functions, classes, variables, arguments, `self._name`."""
    names: set[str] = set()
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(node.name)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif isinstance(node, ast.arg):
                names.add(node.arg)
            elif (
                isinstance(node, ast.Attribute)
                and isinstance(node.ctx, ast.Store)
                and isinstance(node.value, ast.Name)
                and node.value.id in {"self", "cls"}
            ):
                names.add(node.attr)
    return {name for name in names if _private(name)}


def _import_problems(node: ast.AST, where: Path) -> list[str]:
    found = []
    if isinstance(node, ast.Import):
        for alias in node.names:
            parts = alias.name.split(".")
            if parts[0] in LIBRARIES and (
                any(_private(part) for part in parts) or alias.name in INTERNAL_MODULES
            ):
                found.append(f"{where}:{node.lineno} imports {alias.name}")
    elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
        parts = node.module.split(".")
        if parts[0] not in LIBRARIES:
            return found
        if any(_private(part) for part in parts) or node.module in INTERNAL_MODULES:
            found.append(f"{where}:{node.lineno} imports from {node.module}")
        for alias in node.names:
            if (node.module, alias.name) in INTERNAL_NAMES:
                found.append(f"{where}:{node.lineno} imports {alias.name} from {node.module}")
            # `from django.utils.translation import gettext as _` is the usual alias, not a private name.
            if _private(alias.name):
                found.append(f"{where}:{node.lineno} imports {alias.name} from {node.module}")
    return found


def _attribute_problems(node: ast.AST, where: Path, library_names: frozenset[str]) -> list[str]:
    found = []
    if isinstance(node, ast.Attribute) and _private(node.attr) and node.attr not in DOCUMENTED:
        if isinstance(node.value, ast.Attribute) and node.value.attr == "_meta":
            found.append(f"{where}:{node.lineno} uses _meta.{node.attr}")
        elif node.attr in library_names:
            found.append(f"{where}:{node.lineno} uses .{node.attr}")
    if (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Attribute)
        and node.value.attr == "_state"
        and node.attr not in DOCUMENTED_STATE
    ):
        found.append(f"{where}:{node.lineno} uses _state.{node.attr}")
    return found


def _problems(path: Path, tree: ast.Module, library_names: frozenset[str]) -> list[str]:
    where = path.relative_to(SRC)
    return [
        problem
        for node in ast.walk(tree)
        for problem in [*_import_problems(node, where), *_attribute_problems(node, where, library_names)]
    ]


def test_no_module_uses_a_private_name_of_psycopg_or_django() -> None:
    trees = [(path, ast.parse(path.read_text())) for path in _modules()]
    # A library's underscore name that src/ also defines for itself (`_event`, `self._client`) is ours.
    names = library_private_names() - our_private_names([tree for _path, tree in trees])
    problems = [problem for path, tree in trees for problem in _problems(path, tree, names)]
    assert problems == []


@pytest.mark.parametrize(
    "source",
    [
        "from psycopg.adapt import Transformer",
        "from psycopg.generators import execute",
        "import psycopg._cmodule",
        "from django.db.models import _private_thing",
        "x = model._meta._property_names",
        "obj._state.fields_cache['x'] = 1",
        "connection._cursor()",
        "user._perm_cache = set()",
    ],
)
def test_the_check_catches_private_names(source: str) -> None:
    assert _problems(SRC / "example.py", ast.parse(source), library_private_names()) != []


def test_the_check_allows_documented_names() -> None:
    source = (
        "from django.utils.translation import gettext as _\n"
        "fields = Model._meta.get_fields()\n"
        "obj._state.adding = False\nobj._state.db = 'default'\n"
        "Model._default_manager.all()\n"
        "request._storefront_customer = None\n"
    )
    assert _problems(SRC / "example.py", ast.parse(source), library_private_names()) == []
