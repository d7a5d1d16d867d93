"""The state machine stands above its helpers: the helpers never import it, not even for types."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

KIOSK = Path(__file__).resolve().parent.parent / "kiosk"
HELPERS = (
    "alarms.py",
    "guard.py",
    "rules.py",
    "clock.py",
    "temperature.py",
    "admission.py",
    "codes.py",
    "doorway.py",
    "recorder.py",
    "health.py",
    "session.py",
)


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


@pytest.mark.parametrize("helper", HELPERS)
def test_helpers_do_not_import_the_state_machine(helper: str) -> None:
    assert "kiosk.machine" not in imported_modules(KIOSK / helper)
