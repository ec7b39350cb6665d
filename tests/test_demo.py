"""The main job: the demo and the command line."""

import subprocess
import sys

import pytest

from sklearn_surrogate._cli import main
from sklearn_surrogate._demo import run_demo


def test_demo_on_the_shipped_dataset_writes_table_and_plot(tmp_path):
    table = run_demo(losses=("cross_entropy", "f1"), n_repeats=2, max_epochs=10, output_dir=tmp_path, verbose=False)
    assert list(table["loss"]) == ["cross_entropy", "f1"]
    for column in ["test F1", "ROC AUC", "balanced acc."]:
        assert table[column].between(0, 1).all()
    assert (table["fit s"] > 0).all()
    assert (tmp_path / "demo.csv").stat().st_size > 0
    assert (tmp_path / "demo.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_demo_prints_the_table(tmp_path, capsys):
    status = main(["demo", "--output-dir", str(tmp_path), "--no-plot", "--max-epochs", "5", "--loss", "f1"])
    assert status == 0
    out = capsys.readouterr().out
    assert "| f1 |" in out and "pc4 (OpenML 1049" in out
    assert not (tmp_path / "demo.png").exists()


def test_cli_rejects_unknown_loss(capsys):
    assert main(["demo", "--loss", "nope", "--no-plot"]) == 2
    assert "Unknown loss" in capsys.readouterr().err


def test_cli_reports_unreachable_openml(monkeypatch, tmp_path, capsys):
    import sklearn.datasets

    def offline(**kwargs):
        raise OSError("network is unreachable")

    monkeypatch.setattr(sklearn.datasets, "fetch_openml", offline)
    assert main(["demo", "--dataset", "40701", "--output-dir", str(tmp_path)]) == 1
    assert "Could not load OpenML dataset" in capsys.readouterr().err


def test_python_dash_m_entry_point():
    result = subprocess.run([sys.executable, "-m", "sklearn_surrogate", "--version"], capture_output=True, text=True)
    assert result.returncode == 0 and "sklearn-surrogate" in result.stdout


@pytest.mark.parametrize("argv", [["--help"], ["demo", "--help"]])
def test_help(argv, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 0
    assert "--dataset" in capsys.readouterr().out or argv == ["--help"]
