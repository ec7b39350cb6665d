"""The main job: the demo and the command line."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import sklearn.datasets
import torch
from sklearn.utils import Bunch

from sklearn_surrogate import __version__
from sklearn_surrogate.app._cli import main
from sklearn_surrogate.app._demo import format_markdown, run_demo
from sklearn_surrogate.datasets import load_shipped

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
METRICS = ["test F1", "ROC AUC", "balanced acc."]


@pytest.fixture
def no_network(monkeypatch):
    def fetch_openml(*args, **kwargs):
        raise AssertionError("the demo on the shipped dataset must not call fetch_openml")

    monkeypatch.setattr(sklearn.datasets, "fetch_openml", fetch_openml)


def test_demo_on_the_shipped_dataset_writes_table_and_plot(no_network, tmp_path, capsys):
    out = tmp_path / "new" / "folder"
    table = run_demo(losses=("cross_entropy", "f1"), n_repeats=2, max_iter=10, output_dir=out)
    assert list(table["loss"]) == ["cross_entropy", "f1"]
    assert list(table.columns[:5]) == ["loss", *METRICS, "fit s"]
    assert table[METRICS].apply(lambda column: column.between(0, 1)).all().all()
    assert (table["fit s"] > 0).all() and table["test F1 sd"].notna().all()
    pd.testing.assert_frame_equal(pd.read_csv(out / "demo.csv"), table)
    assert (out / "demo.png").read_bytes()[:8] == PNG_MAGIC
    printed = capsys.readouterr().out
    assert "Dataset pc4 (OpenML 1049, shipped): 1458 rows, 37 features, 2 classes" in printed
    assert "2 stratified 70%/30% splits" in printed
    assert "| loss | test F1 | ROC AUC | balanced acc. | fit s |" in printed
    assert "| cross_entropy | " in printed and " ± " in printed


def test_demo_single_split_is_reproducible(tmp_path):
    threads = torch.get_num_threads()
    first = run_demo(losses=("f1",), n_repeats=1, max_iter=5, n_threads=1, output_dir=None, verbose=False)
    assert torch.get_num_threads() == threads  # restored
    again = run_demo(losses=("f1",), n_repeats=1, max_iter=5, output_dir=tmp_path, verbose=False)
    pd.testing.assert_frame_equal(first[METRICS], again[METRICS])
    assert first["test F1 sd"].isna().all()
    assert " ± " not in format_markdown(first)
    assert (tmp_path / "demo.png").read_bytes()[:8] == PNG_MAGIC


def test_demo_on_a_multiclass_openml_dataset(monkeypatch, tmp_path):
    X, y, _ = load_shipped("wine-quality-red")  # 1599 rows, 6 classes, served as if fetched
    calls = []

    def fetch_openml(**kwargs):
        calls.append(kwargs)
        return Bunch(data=X, target=y, details={"name": "wine-quality-red", "id": "41"})

    monkeypatch.setattr(sklearn.datasets, "fetch_openml", fetch_openml)
    table = run_demo(
        "41",
        data_home=tmp_path,
        losses=("cross_entropy",),
        n_repeats=1,
        max_iter=5,
        output_dir=tmp_path,
        plot=False,
        verbose=False,
    )
    assert calls[0]["data_id"] == 41 and calls[0]["data_home"] == tmp_path
    # macro F1 and one-vs-rest AUC
    assert table[METRICS].apply(lambda column: column.between(0, 1)).all().all()
    assert not (tmp_path / "demo.png").exists()
    # a binary-only loss is refused before any training
    with pytest.raises(ValueError, match="'ensloss' supports binary problems only"):
        run_demo(41, losses=("cross_entropy", "ensloss"), output_dir=None, verbose=False)


def test_demo_rejects_unknown_losses_and_repeats():
    with pytest.raises(ValueError, match="Unknown loss 'nope'"):
        run_demo(losses=("nope",), output_dir=None, verbose=False)
    with pytest.raises(ValueError, match="n_repeats"):
        run_demo(n_repeats=0, output_dir=None, verbose=False)


def test_cli_demo_prints_the_table(no_network, tmp_path, capsys):
    argv = [
        "demo",
        "--output-dir",
        str(tmp_path),
        "--no-plot",
        "--max-epochs",
        "5",
        "--n-repeats",
        "1",
        "--threads",
        "0",
    ]
    assert main([*argv, "--loss", "f1", "--loss", "cross_entropy", "--random-state", "3"]) == 0
    printed = capsys.readouterr().out
    assert "pc4 (OpenML 1049" in printed and "| f1 | " in printed and "| cross_entropy | " in printed
    assert list(pd.read_csv(tmp_path / "demo.csv")["loss"]) == ["f1", "cross_entropy"]
    assert not (tmp_path / "demo.png").exists()


def test_cli_without_command_runs_the_demo(no_network, tmp_path, capsys):
    assert main(["--output-dir", str(tmp_path), "--max-iter", "3", "--n-repeats", "1", "--loss", "f1"]) == 0
    assert "| f1 | " in capsys.readouterr().out
    assert (tmp_path / "demo.png").read_bytes()[:8] == PNG_MAGIC


def test_cli_rejects_unknown_loss(capsys):
    assert main(["demo", "--loss", "nope", "--no-plot"]) == 2
    assert "unknown loss 'nope'" in capsys.readouterr().err


def test_cli_reports_unreachable_openml(monkeypatch, tmp_path, capsys):
    def offline(**kwargs):
        raise OSError("network is unreachable")

    monkeypatch.setattr(sklearn.datasets, "fetch_openml", offline)
    assert main(["demo", "--dataset", "40701", "--data-home", str(tmp_path), "--output-dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "Could not load OpenML dataset '40701'" in err and "--data-home" in err
    assert not (tmp_path / "demo.csv").exists()


@pytest.mark.parametrize("argv", [["--help"], ["demo", "--help"], ["--version"]])
def test_help_and_version(argv, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 0
    printed = capsys.readouterr().out
    if argv == ["--version"]:
        assert printed.strip() == f"sklearn-surrogate {__version__}"
    else:
        assert "--output-dir" in printed or "demo" in printed


def test_python_dash_m_entry_point():
    result = subprocess.run(
        [sys.executable, "-m", "sklearn_surrogate", "--version"],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0 and result.stdout.strip() == f"sklearn-surrogate {__version__}"


def test_demo_metrics_of_a_perfect_multiclass_model():
    from sklearn_surrogate.app._demo import _test_metrics

    classes = np.array(["a", "b", "c"])
    y_true = np.array(["a", "b", "b", "a"])  # class "c" is absent from this test set
    proba = np.array([[0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.2, 0.7, 0.1], [0.6, 0.3, 0.1]])
    f1, auc, balanced = _test_metrics(y_true, classes[proba.argmax(axis=1)], proba, classes)
    assert f1 == 1.0 and auc == 1.0 and balanced == 1.0
