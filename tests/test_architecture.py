"""The boundaries the design depends on: the engine knows no screen, help loads no torch."""

import ast
import subprocess
import sys
from pathlib import Path

import wdtui

PACKAGE = Path(wdtui.__file__).parent
UI_MODULES = {"textual", "textual_plotext", "plotext", "rich"}


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_engine_source_imports_no_ui_library():
    files = sorted((PACKAGE / "engine").rglob("*.py"))
    assert len(files) > 5
    for path in files:
        assert not (_imports(path) & UI_MODULES), path.name


def test_engine_loads_no_ui_library_at_run_time():
    code = (
        "import sys, pkgutil, importlib, wdtui.engine as e\n"
        "for m in pkgutil.walk_packages(e.__path__, 'wdtui.engine.'): importlib.import_module(m.name)\n"
        "print(sorted(k for k in sys.modules if k.split('.')[0] in %r))" % (UI_MODULES,)
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_help_does_not_import_torch():
    code = (
        "import sys\nfrom wdtui.cli.main import main\n"
        "for argv in ([ '--help'], ['run', '--help'], ['presets']):\n"
        "    try: main(argv)\n"
        "    except SystemExit: pass\n"
        "print('torch' in sys.modules, 'textual' in sys.modules, file=sys.stderr)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stderr.strip().splitlines()[-1] == "False False"
