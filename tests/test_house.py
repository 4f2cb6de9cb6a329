"""The house rules, checked on the code as it is: what each layer loads, and no cycles.

The import-linter contracts in pyproject.toml (``./dev check``) say which layer may
import which; these tests check what a fresh interpreter really loads, and that no
module of the project imports itself round a loop.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import grimp

from device.control import SessionControl

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("device", "routines", "web_config")


def loaded_after(statement: str) -> set[str]:
    """The modules a fresh interpreter holds after running ``statement``."""
    code = f"import json, sys\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    return set(json.loads(out))


def test_importing_the_engine_loads_no_hardware_voice_web_or_storage():
    loaded = loaded_after("import device.engine.core, device.engine.preview")
    heavy = {"gpiozero", "pyttsx3", "flask", "waitress", "sqlite3", "yaml"}
    assert heavy.isdisjoint(loaded), heavy & loaded
    assert "device.engine.core" in loaded  # the check saw the engine


def test_importing_the_web_app_loads_no_engine_voice_or_hardware():
    loaded = loaded_after("import web_config")
    inside = sorted(
        m
        for m in loaded
        if m.startswith(("device.engine", "device.voice", "device.hardware", "device.service"))
        or m in ("gpiozero", "pyttsx3")
    )
    assert inside == []
    assert "flask" in loaded


def test_no_module_imports_itself_round_a_loop():
    graph = grimp.build_graph(*PACKAGES)
    modules = sorted(m for m in graph.modules if m.startswith(PACKAGES))
    state: dict[str, int] = {}  # 1: on the current path, 2: finished
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = 1
        path.append(module)
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            if not imported.startswith(PACKAGES):
                continue
            if state.get(imported) == 1:
                return [*path[path.index(imported) :], imported]
            if imported not in state and (loop := visit(imported)):
                return loop
        path.pop()
        state[module] = 2
        return None

    for module in modules:
        if module not in state:
            loop = visit(module)
            assert loop is None, " -> ".join(loop)
    assert len(modules) > 50  # the graph really holds the project


def test_the_device_package_keeps_its_top_level_small():
    top = sorted(p.name for p in (ROOT / "device").glob("*.py"))
    assert len(top) <= 4, top
    for package in ("engine", "voice", "hardware", "service", "cli"):
        doc = (ROOT / "device" / package / "__init__.py").read_text()
        assert doc.startswith('"""') and "import" in doc, package


def test_the_web_never_tells_the_daemon_to_reload():
    # Its writes reach the daemon by the store's announcement; a page that had to say
    # "reload" could forget to, as the after-score once did.
    assert not hasattr(SessionControl, "reload")
    calls = []
    for path in sorted((ROOT / "web_config").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "reload"
            ):
                calls.append(f"{path.name}:{node.lineno}")
    assert calls == []
