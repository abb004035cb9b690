"""Run mselib's docstring examples against an installed mselib, with the standard library only.

CI installs the package alone (``pip install .``) into an empty environment and runs this
file there, from outside the repository, so that the installed copy is tested: NumPy is
then the only third-party package present. Examples that need SymPy (the optional extra
``mselib[verify]``) or Dask are skipped, by name, when those are not installed; every other example
must pass. Exit status 1 on any failure.

    python tests/doctest_installed.py
"""

from __future__ import annotations

import doctest
import importlib
import importlib.util
import pkgutil
import sys


def main() -> int:
    import mselib

    have_sympy = importlib.util.find_spec("sympy") is not None
    have_dask = importlib.util.find_spec("dask") is not None
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    skipped, examples = [], 0
    names = [mselib.__name__] + [
        f"mselib.{m.name}" for m in pkgutil.iter_modules(mselib.__path__)
    ]
    for name in names:
        module = importlib.import_module(name)
        for test in finder.find(module, name):
            if not test.examples:
                continue
            needs = [("sympy", have_sympy), ("dask", have_dask)]
            if any(not have and any(name in ex.source for ex in test.examples)
                   for name, have in needs):
                skipped.append(test.name)
                continue
            examples += len(test.examples)
            runner.run(test)
    result = runner.summarize(verbose=False)
    print(
        f"mselib {mselib.__version__} from {mselib.__file__}: {examples} examples, "
        f"{result.failed} failed; SymPy {'present' if have_sympy else 'absent'}, "
        f"skipped: {skipped or 'none'}"
    )
    if "sympy" in sys.modules and not have_sympy:  # pragma: no cover
        return 1
    return 1 if result.failed or examples == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
