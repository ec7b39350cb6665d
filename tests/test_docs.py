"""The API reference covers every public name, and each has a doctested example.

The examples themselves run in ``pytest --doctest-modules`` (``testpaths`` includes the
package); the docs build (``make docs``) renders them and validates the docstrings with numpydoc.
"""

import importlib
import inspect
import itertools
import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
PUBLIC_MODULES = [
    "sklearn_surrogate",
    "sklearn_surrogate.losses",
    "sklearn_surrogate.learned",
    "sklearn_surrogate.datasets",
    "sklearn_surrogate.app",
    "sklearn_surrogate.onnx",
    "sklearn_surrogate.exceptions",
]
NOT_DOCUMENTED = {"__version__"}


def _api_entries():
    """``{(module, name)}`` listed in docs/api.rst's autosummary tables."""
    entries, module = set(), None
    for line in (DOCS / "api.rst").read_text(encoding="utf-8").splitlines():
        match = re.match(r"\.\. currentmodule:: ([\w.]+)", line)
        if match:
            module = match[1]
        elif re.match(r"^   [A-Za-z_][\w]*$", line) and module:
            entries.add((module, line.strip()))
    return entries


def _public_names():
    names = []
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        names += [(module_name, name) for name in module.__all__ if name not in NOT_DOCUMENTED]
    return names


def _documented_in(entries, module_name, name):
    """A name re-exported by several modules is documented once, under any of them."""
    obj = getattr(importlib.import_module(module_name), name)
    return any(getattr(importlib.import_module(m), n, None) is obj for m, n in entries if n == name)


@pytest.mark.parametrize(("module_name", "name"), _public_names(), ids=lambda v: v)
def test_public_name_in_api_reference_with_a_doctested_example(module_name, name):
    entries = _api_entries()
    assert _documented_in(entries, module_name, name), f"{module_name}.{name} is missing from docs/api.rst"
    obj = getattr(importlib.import_module(module_name), name)
    if inspect.isclass(obj) or inspect.isfunction(obj):
        doc = inspect.getdoc(obj) or ""
        assert re.search(r"^Examples\n-{8}\n", doc, flags=re.MULTILINE), f"{name} has no Examples section"
        assert ">>> " in doc.split("Examples\n--------", 1)[1], f"{name}'s Examples has no doctest"


def _documented_parameters(doc):
    """Names in a numpydoc ``Parameters`` section (``a, b : type`` lines count each name)."""
    section = re.search(r"^Parameters\n-{10}\n(.*?)(?:^\w[\w ]*\n-{3,}\n|\Z)", doc, flags=re.MULTILINE | re.DOTALL)
    if section is None:
        return set()
    names = set()
    for line in section[1].splitlines():
        match = re.match(r"^([*\w][\w, *]*?) :", line)
        if match:
            names |= {name.strip().lstrip("*") for name in match[1].split(",")}
    return names


@pytest.mark.parametrize(("module_name", "name"), _public_names(), ids=lambda v: v)
def test_every_parameter_is_documented(module_name, name):
    # the docs build fails on numpydoc's PR01 (an undocumented parameter); catch it in the suite first
    obj = getattr(importlib.import_module(module_name), name)
    if not (inspect.isclass(obj) or inspect.isfunction(obj)):
        pytest.skip("not a class or function")
    try:
        signature = inspect.signature(obj)
    except (TypeError, ValueError):
        pytest.skip("no signature")
    wanted = {p.name for p in signature.parameters.values()
              if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD) and p.name != "self"}
    missing = wanted - _documented_parameters(inspect.getdoc(obj) or "")
    assert not missing, f"{name}'s docstring does not document {sorted(missing)}"
    if inspect.isclass(obj):  # and the public methods the class itself defines with a docstring (rendered too)
        for method_name, method in vars(obj).items():
            if (method_name.startswith("_") or method_name in ("forward", "extra_repr")  # as docs/conf.py excludes
                    or not inspect.isfunction(method) or not method.__doc__):
                continue
            wanted = {p.name for p in inspect.signature(method).parameters.values()
                      if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD) and p.name not in ("self", "cls")}
            missing = wanted - _documented_parameters(inspect.getdoc(method))
            assert not missing, f"{name}.{method_name}'s docstring does not document {sorted(missing)}"


def test_api_reference_lists_only_public_names():
    public = {(module_name, name) for module_name, name in _public_names()}
    stale = {entry for entry in _api_entries() if entry not in public}
    assert not stale, f"docs/api.rst lists names that are not public: {sorted(stale)}"


def _toctree_entries(text, suffix):
    """The entries of every toctree in a page's text (MyST fenced block or RST directive)."""
    if suffix == ".md":
        blocks = re.findall(r"```\{toctree\}\n(.*?)\n```", text, flags=re.DOTALL)
    else:
        blocks = re.findall(r"\.\. toctree::\n((?:[ \t]+.*\n|\n)*)", text)
    return [line.strip() for block in blocks for line in block.splitlines()
            if line.strip() and not line.strip().startswith(":")]


def test_every_page_is_in_a_toctree():
    sources = [p for p in DOCS.rglob("*") if p.suffix in (".md", ".rst")
               and not {"_build", "generated", "auto_examples", "_templates"} & set(p.relative_to(DOCS).parts)
               and p.name != "sg_execution_times.rst"]
    pages = {p.relative_to(DOCS).with_suffix("").as_posix() for p in sources}
    referenced = {"index"}
    for page in sources:
        for entry in _toctree_entries(page.read_text(encoding="utf-8"), page.suffix):
            referenced.add((page.parent.relative_to(DOCS) / entry).as_posix().removeprefix("./"))
    orphans = pages - referenced
    assert not orphans, f"pages in no toctree: {sorted(orphans)}"


def _attribute_docstring(module, name):
    """The string literal right after ``name = ...`` in ``module``'s source, or None."""
    import ast

    body = ast.parse(inspect.getsource(module)).body
    for node, following in itertools.pairwise(body):
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        if (any(isinstance(t, ast.Name) and t.id == name for t in targets) and isinstance(following, ast.Expr)
                and isinstance(following.value, ast.Constant) and isinstance(following.value.value, str)):
            return inspect.cleandoc(following.value.value)
    return None


def _data_docstrings():
    """``(qualified name, docstring)`` of every public module-level constant."""
    import sys

    found = []
    for module_name, name in _public_names():
        obj = getattr(importlib.import_module(module_name), name)
        if inspect.isclass(obj) or inspect.isfunction(obj) or inspect.ismodule(obj):
            continue
        # the private module that defines it: the one among the package's modules holding the same object
        modules = [m for key, m in sorted(sys.modules.items()) if key.startswith(module_name) and m is not None
                   and getattr(m, name, None) is obj]
        docs = [_attribute_docstring(m, name) for m in modules]
        found.append((f"{module_name}.{name}", next((d for d in docs if d), None)))
    return found


@pytest.mark.parametrize(("qualname", "doc"), _data_docstrings(), ids=[q for q, _ in _data_docstrings()])
def test_public_constant_has_a_doctested_example(qualname, doc):
    import doctest

    assert doc, f"{qualname} has no docstring (a string literal right after its assignment)"
    assert ">>> " in doc, f"{qualname} has no example"
    test = doctest.DocTestParser().get_doctest(doc, {}, qualname, None, 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    assert runner.summarize(verbose=False).failed == 0, f"{qualname}'s example fails (see the output above)"


def test_getting_started_example_runs(tmp_path, monkeypatch, capsys):
    """The ten-line example of the getting-started page runs as written."""
    page = (DOCS / "getting_started.md").read_text(encoding="utf-8")
    block = next(b for b in re.findall(r"```python\n(.*?)```", page, flags=re.DOTALL) if "load_shipped" in b)
    assert len(block.strip().splitlines()) <= 12
    monkeypatch.chdir(tmp_path)
    exec(compile(block, "getting_started.md", "exec"), {})
    printed = capsys.readouterr().out.split()
    assert printed[0::2] == ["cross_entropy", "f1"]
    assert all(0.0 <= float(value) <= 1.0 for value in printed[1::2])
