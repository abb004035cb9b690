"""mselib as a package: what importing it costs, and its one version number."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _modules_after_import() -> set[str]:
    code = "import sys, mselib; print('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return set(out.stdout.split())


@pytest.mark.parametrize("heavy", ["sympy", "scipy", "sklearn", "dask", "torch", "matplotlib"])
def test_import_mselib_does_not_import(heavy):
    # import mselib needs only NumPy (its one declared dependency); the rest load on use.
    assert heavy not in _modules_after_import()


def test_assert_sym_equal_still_works_after_a_lazy_import():
    sp = pytest.importorskip("sympy")
    import mselib as ml

    a = sp.Symbol("a", real=True)
    ml.assert_sym_equal((a + 1) ** 2, a**2 + 2 * a + 1)
    with pytest.raises(AssertionError):
        ml.assert_sym_equal((a + 1) ** 2, a**2 + 1)


def test_missing_sympy_is_a_clear_error(monkeypatch):
    import mselib as ml

    monkeypatch.setitem(sys.modules, "sympy", None)  # makes `import sympy` raise ImportError
    with pytest.raises(ImportError, match=r'needs SymPy.*pip install "mselib\[verify\]"'):
        ml.assert_sym_equal(1, 1)


def test_one_version_number():
    import mselib

    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'version = { attr = "mselib.__version__" }' in pyproject
    project_table = pyproject.split("[project]", 1)[1].split("\n[", 1)[0]
    assert "\nversion =" not in project_table, "the version is written in mselib/__init__.py only"
    assert mselib.__version__.count(".") == 2
