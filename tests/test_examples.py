"""The gallery's shape: every example is a sphinx-gallery script in a topic folder.

The examples themselves are executed by the documentation build (``make docs``, run by CI), which
fails on any error or warning and on an example that runs for a minute or more
(``docs/check_gallery_times.py``); running them here as well would double the suite's time.
"""

import ast
from pathlib import Path

import pytest

EXAMPLES_DIR = Path(__file__).resolve().parents[1] / "examples"
EXAMPLES = sorted(EXAMPLES_DIR.glob("*/plot_*.py"))
# the topics the documentation promises (issue 8): one folder each
TOPICS = {"f1", "auc", "model_selection", "learned", "multiclass", "scaling"}


def test_gallery_layout():
    assert (EXAMPLES_DIR / "README.txt").is_file()
    assert not list(EXAMPLES_DIR.glob("plot_*.py")), "examples belong in examples/<topic>/"
    topics = {path.name for path in EXAMPLES_DIR.iterdir() if path.is_dir() and not path.name.startswith((".", "_"))}
    assert TOPICS <= topics
    for topic in topics:
        assert (EXAMPLES_DIR / topic / "README.txt").is_file(), f"examples/{topic} has no README.txt"
        assert list((EXAMPLES_DIR / topic).glob("plot_*.py")), f"examples/{topic} has no example"


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_example_is_a_gallery_script(script):
    source = script.read_text(encoding="utf-8")
    docstring = ast.get_docstring(ast.parse(source))
    assert docstring, "an example starts with a docstring: its title and introduction"
    title, underline = docstring.splitlines()[:2]
    assert underline and set(underline) == {"="} and len(underline) >= len(title), "the title is RST, underlined with ="
    assert source.count("\n# %%") >= 2, "an example is split into # %% cells"
