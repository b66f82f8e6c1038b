"""The core never imports Textual or Rich; the CLI imports Textual only to start the app."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

CORE = Path(__file__).resolve().parents[1] / "tui" / "core"


def imported_after(code: str) -> set[str]:
    result = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys\nprint(' '.join(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
    )
    return set(result.stdout.split())


def test_core_modules_do_not_load_textual() -> None:
    modules = sorted(f"tui.core.{path.stem}" for path in CORE.glob("*.py"))
    loaded = imported_after("\n".join(f"import {name}" for name in modules) + "\nimport tui.config")
    assert "textual" not in loaded


def test_core_source_imports_neither_textual_nor_rich() -> None:
    for path in [*CORE.glob("*.py"), CORE.parent / "config.py"]:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] not in ("textual", "rich"), f"{path.name} imports {name}"


def test_cli_subcommands_do_not_load_textual() -> None:
    loaded = imported_after("import tui.cli")
    assert "textual" not in loaded
