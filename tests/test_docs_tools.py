"""The documentation's own checks: gallery running times and the blank-screenshot test."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _load(name):
    spec = importlib.util.spec_from_file_location(name, DOCS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_gallery_times_are_read_and_the_limit_enforced(tmp_path, capsys):
    times = _load("check_gallery_times")
    (tmp_path / "topic").mkdir()
    (tmp_path / "topic" / "plot_fast.rst").write_text(
        "text\n**Total running time of the script:** (0 minutes 12.345 seconds)\n", encoding="utf-8")
    (tmp_path / "topic" / "plot_skipped.rst").write_text("not executed\n", encoding="utf-8")
    assert times.example_times(tmp_path) == {"topic/plot_fast.py": pytest.approx(12.345), "topic/plot_skipped.py": None}
    assert times.main([str(tmp_path)]) == 0
    assert times.main([str(tmp_path), "--require-times"]) == 1  # plot_skipped.py has no time
    assert "plot_skipped.py" in capsys.readouterr().err
    (tmp_path / "topic" / "plot_slow.rst").write_text(
        "**Total running time of the script:** (1 minutes 0.500 seconds)\n", encoding="utf-8")
    assert times.main([str(tmp_path)]) == 1
    assert "plot_slow.py" in capsys.readouterr().err
    assert times.main([str(tmp_path / "empty")]) == 1


def test_blank_screenshots_are_detected(tmp_path):
    pytest.importorskip("matplotlib")
    from matplotlib.image import imsave

    site = _load("check_site")
    shape = (site.HEIGHT, site.WIDTH, 3)
    blank = np.ones(shape)
    imsave(tmp_path / "blank.png", blank)
    assert site.blank_reasons(tmp_path / "blank.png")
    page = blank.copy()
    rng = np.random.RandomState(0)
    page[100:400, 100:900] = rng.rand(300, 800, 3)  # text and figures: many colours over a fair area
    imsave(tmp_path / "page.png", page)
    assert site.blank_reasons(tmp_path / "page.png") == []
    imsave(tmp_path / "small.png", np.ones((10, 10, 3)))
    assert "expected" in site.blank_reasons(tmp_path / "small.png")[0]
