"""`sim` is pure numpy: importing every module of it pulls in no Qt and no pyqtgraph."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def test_importing_every_sim_module_imports_no_qt():
    code = (
        "import importlib, pkgutil, sys, sim\n"
        "for m in pkgutil.iter_modules(sim.__path__):\n"
        "    if m.name != '__main__':\n"
        "        importlib.import_module('sim.' + m.name)\n"
        "bad = [n for n in sys.modules if n.split('.')[0] in "
        "('PySide6', 'shiboken6', 'PyQt5', 'PyQt6', 'pyqtgraph', 'gui')]\n"
        "print(len([n for n in sys.modules if n.startswith('sim.')]), bad)\n"
        "sys.exit(1 if bad else 0)\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert int(result.stdout.split()[0]) >= 15  # the modules really were imported
