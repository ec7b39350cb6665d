"""The application package: its public names, the deprecated ``sklearn_surrogate.benchmark`` alias, and layering."""

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

import sklearn_surrogate.app as app

ROOT = Path(__file__).resolve().parents[2]


def _run_python(code):
    """Run ``code`` in a fresh interpreter (nothing imported yet) on this checkout; return its stdout."""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_app_exposes_its_public_names():
    assert set(app.__all__) <= set(dir(app))
    for name in app.__all__:
        assert getattr(app, name) is not None
    assert app.run_demo is importlib.import_module("sklearn_surrogate.app._demo").run_demo
    assert app.run_benchmark is importlib.import_module("sklearn_surrogate.app._runner").run_benchmark


def test_app_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        app.nope  # noqa: B018
    assert not hasattr(app, "nope")


def test_benchmark_alias_warns_and_gives_the_same_objects(monkeypatch):
    monkeypatch.delitem(sys.modules, "sklearn_surrogate.benchmark", raising=False)
    with pytest.warns(FutureWarning, match=r"sklearn_surrogate\.benchmark is deprecated.*sklearn_surrogate\.app"):
        benchmark = importlib.import_module("sklearn_surrogate.benchmark")
    assert benchmark.__all__, "the alias re-exports nothing"
    assert set(benchmark.__all__) == set(app.__all__) - {"run_demo"}
    for name in benchmark.__all__:
        assert getattr(benchmark, name) is getattr(app, name), name


def test_the_library_does_not_import_the_application():
    loaded = _run_python(
        "import sys, sklearn_surrogate, sklearn_surrogate.losses\n"
        "print(sorted(m for m in sys.modules if m == 'sklearn_surrogate.app' or m.startswith('sklearn_surrogate.app.')"
        " or m == 'sklearn_surrogate.benchmark'))"
    )
    assert loaded.strip() == "[]"
    # the check itself can see the application once it is imported
    assert "sklearn_surrogate.app._cli" in _run_python(
        "import sys, sklearn_surrogate.app._cli\nprint(sorted(sys.modules))"
    )


def test_command_line_help_without_pandas():
    """pandas is an optional dependency (the ``demo`` extra): the command line starts without it."""
    out = _run_python(
        "import sys\n"
        "sys.modules['pandas'] = None  # import pandas now raises ImportError\n"
        "from sklearn_surrogate.app._cli import main\n"
        "try:\n"
        "    main(['--help'])\n"
        "except SystemExit as exc:\n"
        "    print('exit', exc.code)\n"
    )
    assert "usage: sklearn-surrogate" in out and "exit 0" in out
