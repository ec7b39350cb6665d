"""Dataset loading: shipped copy, fetch_openml path, shared offline copies, preprocessing."""

import numpy as np
import pytest

from sklearn_surrogate.datasets import load_openml, load_shared, load_shipped, make_preprocessor, shared_manifest


def _no_network(*args, **kwargs):
    raise AssertionError("fetch_openml must not be called for the shipped dataset")


def test_shipped_dataset_loads_with_provenance():
    X, y, info = load_shipped()
    assert X.shape == (1458, 37)
    assert sorted(y.unique()) == ["False", "True"]
    assert info["openml_id"] == 1049 and info["source"] == "shipped"
    assert info["minority_share"] == pytest.approx(178 / 1458)
    assert "PROMISE" in info["licence"]
    # the minority class is the greater label, i.e. classes_[1], the losses' positive class
    values, counts = np.unique(y, return_counts=True)
    assert values[np.argmin(counts)] == values.max()


@pytest.mark.parametrize("dataset", [1049, "1049", "pc4"])
def test_load_openml_serves_the_shipped_copy_offline(monkeypatch, dataset):
    import sklearn.datasets

    monkeypatch.setattr(sklearn.datasets, "fetch_openml", _no_network)
    X, y, info = load_openml(dataset)
    assert info["source"] == "shipped" and X.shape == (1458, 37)


def test_load_openml_goes_through_fetch_openml(monkeypatch, tmp_path):
    import sklearn.datasets
    from sklearn.utils import Bunch

    X_shared, y_shared, _ = load_shared("diabetes")
    calls = []

    def fake_fetch_openml(**kwargs):
        calls.append(kwargs)
        return Bunch(data=X_shared, target=y_shared, details={"name": "diabetes", "id": "37"})

    monkeypatch.setattr(sklearn.datasets, "fetch_openml", fake_fetch_openml)
    X, y, info = load_openml(37, data_home=tmp_path)
    assert calls == [{"data_id": 37, "as_frame": True, "data_home": tmp_path, "parser": "auto"}]
    assert info == {**info, "name": "diabetes", "openml_id": 37, "source": "openml", "n_samples": 768}
    load_openml("diabetes", data_home=tmp_path)
    assert calls[-1]["name"] == "diabetes" and calls[-1]["version"] == "active"
    # the shipped dataset's id is fetched when the caller asks for the real thing
    load_openml(1049, data_home=tmp_path, shipped_ok=False)
    assert calls[-1]["data_id"] == 1049


def test_offline_fetch_failure_is_explained(monkeypatch):
    import urllib.error

    import sklearn.datasets

    def offline(**kwargs):
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(sklearn.datasets, "fetch_openml", offline)
    with pytest.raises(RuntimeError, match=r"Could not load OpenML dataset 40701.*data_home.*shipped"):
        load_openml(40701)


def test_shared_datasets_by_name_and_id():
    manifest = shared_manifest()
    assert {"name", "openml_id", "file", "target"} <= set(manifest.columns)
    X, y, info = load_shared("kc1")
    assert X.shape == (2109, 21) and info["n_classes"] == 2 and info["openml_id"] == 1067
    X2, _, info2 = load_shared(1067)
    assert info2["name"] == "kc1" and X2.shape == X.shape
    X, y, info = load_shared("vehicle")
    assert info["n_classes"] == 4
    with pytest.raises(ValueError, match="No shared dataset"):
        load_shared("no-such-dataset")


def test_shared_folder_missing_is_explained(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SKLEARN_SURROGATE_SHARED_DATASETS", str(tmp_path / "nowhere"))
    monkeypatch.setattr("sklearn_surrogate.datasets._openml.Path.is_file", lambda self: False)
    with pytest.raises(FileNotFoundError, match="MANIFEST.tsv"):
        load_shared("kc1", shared_dir=tmp_path)


def test_preprocessor_handles_mixed_types_with_missing_values():
    X, y, _ = load_shared("credit-approval")  # categorical and numeric columns, 67 missing values
    assert X.isna().any().any()
    Xt = make_preprocessor(X).fit_transform(X)
    assert Xt.dtype == np.float64 and np.isfinite(Xt).all()
    assert Xt.shape[0] == len(X) and Xt.shape[1] > X.shape[1]  # one-hot columns
    # unseen categories at predict time are ignored, not an error
    prep = make_preprocessor(X.iloc[:200]).fit(X.iloc[:200])
    assert prep.transform(X.iloc[200:]).shape[0] == len(X) - 200
