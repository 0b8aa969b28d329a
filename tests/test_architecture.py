"""The boundaries the design depends on, checked on the real modules."""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_engine_never_imports_qt():
    for path in (ROOT / "engine").rglob("*.py"):
        assert not imported_modules(path) & {"PySide6", "pyqtgraph", "gui"}, path


def test_importing_the_gui_does_not_load_tensorflow():
    code = ("import sys, gui, main; "
            "print(sorted(m for m in ('tensorflow', 'keras') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"


#: The only engine modules that may import TensorFlow or Keras (the layers, their training and
#: model files; keras_files only inside its functions, through keras_model).
KERAS_MODULES = {"engine/backend/keras_model.py", "engine/backend/keras_files.py",
                 "engine/backend/keras_training.py"}


def test_only_the_keras_backend_imports_keras_in_engine():
    for path in (ROOT / "engine").rglob("*.py"):
        if path.relative_to(ROOT).as_posix() not in KERAS_MODULES:
            assert not imported_modules(path) & {"tensorflow", "keras"}, path


def test_model_files_and_their_helper_load_keras_only_when_used():
    code = ("import sys, engine.backend.keras_files, engine.backend.helper, "
            "gui.panels.layer_stack; "
            "print(sorted(m for m in ('tensorflow', 'keras') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"
