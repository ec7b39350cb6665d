"""Dataset loading: the shipped copy, the fetch_openml path, the shared offline copies, preprocessing."""

import pickle
import urllib.error

import numpy as np
import pandas as pd
import pytest
import sklearn.datasets
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import Bunch

from sklearn_surrogate.datasets import (
    SHIPPED_DATASETS,
    _shared,
    load_openml,
    load_shared,
    load_shipped,
    make_preprocessor,
    shared_manifest,
)

INFO_KEYS = {"name", "openml_id", "n_samples", "n_features", "n_classes", "minority_share", "source", "licence"}


@pytest.fixture(scope="module")
def manifest():
    """The shared datasets' manifest; skips the test when ../shared/datasets is absent."""
    try:
        return shared_manifest()
    except FileNotFoundError as exc:
        pytest.skip(f"shared datasets not available: {exc}")


@pytest.fixture
def no_network(monkeypatch):
    """Make any call to fetch_openml fail the test."""

    def fetch_openml(*args, **kwargs):
        raise AssertionError("fetch_openml must not be called")

    monkeypatch.setattr(sklearn.datasets, "fetch_openml", fetch_openml)


# -- the shipped dataset -------------------------------------------------------------------------------


def test_shipped_dataset_shape_classes_and_info(no_network):
    X, y, info = load_shipped()
    assert isinstance(X, pd.DataFrame) and isinstance(y, pd.Series)
    assert X.shape == (1458, 37) and len(y) == 1458 and y.name == "Class"
    assert all(pd.api.types.is_numeric_dtype(dtype) for dtype in X.dtypes) and not X.isna().any().any()
    assert set(info) == INFO_KEYS
    assert info["name"] == "pc4" and info["openml_id"] == 1049 and info["source"] == "shipped"
    assert (info["n_samples"], info["n_features"], info["n_classes"]) == (1458, 37, 2)
    assert info["minority_share"] == pytest.approx(178 / 1458)
    assert "PROMISE" in info["licence"] and "Menzies" in info["licence"]
    # labels as written in the file; the minority class is the greater one, so classes_[1]
    assert y.value_counts().to_dict() == {"False": 1280, "True": 178}
    assert LabelEncoder().fit(y).classes_[1] == "True" == SHIPPED_DATASETS["pc4"]["positive_label"]


@pytest.mark.shared_data
def test_shipped_metadata_and_provenance(manifest):
    meta = SHIPPED_DATASETS["pc4"]
    row = manifest.set_index("name").loc["pc4"]
    assert meta["openml_id"] == row["openml_id"] == 1049
    assert meta["target"] == row["target"]
    for key in ["source_repo", "source_path", "source_commit"]:
        assert meta[key] == row[key]
    assert meta["licence"].startswith("Public domain (PROMISE repository")


@pytest.mark.shared_data
@pytest.mark.parametrize("name", ["pc4", "wine-quality-red"])
def test_shipped_copy_is_the_shared_file(manifest, name):
    X, y, info = load_shipped(name)
    X_shared, y_shared, _ = load_shared(name)
    pd.testing.assert_frame_equal(X, X_shared)
    pd.testing.assert_series_equal(y, y_shared)
    meta = SHIPPED_DATASETS[name]
    row = manifest.set_index("name").loc[name]
    assert meta["openml_id"] == row["openml_id"] == info["openml_id"]
    assert (meta["n_samples"], meta["n_features"], meta["n_classes"]) == (row["n_rows"], row["n_features"], row["n_classes"])
    for key in ["source_repo", "source_path", "source_commit"]:
        assert meta[key] == row[key]


def test_shipped_multiclass_served_by_load_openml_without_network(no_network):
    X, y, info = load_openml(40691)
    assert info["source"] == "shipped" and X.shape == (1599, 11) and info["n_classes"] == 6


def test_shipped_as_arrays():
    X, y, info = load_shipped(as_frame=False)
    assert X.dtype == np.float64 and X.shape == (1458, 37)
    assert y.dtype == object and set(y) == {"False", "True"}
    assert info["n_samples"] == 1458


def test_unknown_shipped_name():
    with pytest.raises(ValueError, match="No shipped dataset named 'iris'.*pc4"):
        load_shipped("iris")


# -- load_openml -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("dataset", [1049, "1049", np.int64(1049), "pc4"])
def test_load_openml_serves_the_shipped_copy_without_network(no_network, dataset):
    X, _, info = load_openml(dataset, data_home="/nonexistent")
    assert info["source"] == "shipped" and X.shape == (1458, 37)


@pytest.fixture
def fake_fetch_openml(monkeypatch):
    """Replace fetch_openml by a recorder that returns a frame shaped like diabetes (OpenML 37: 768 x 8)."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(768, 8)), columns=[f"x{i}" for i in range(8)])
    y = pd.Series(np.where(rng.random(768) < 0.35, "tested_positive", "tested_negative"), name="class")
    calls = []

    def fetch_openml(**kwargs):
        calls.append(kwargs)
        return Bunch(data=X, target=y, details={"name": "diabetes", "id": "37", "licence": "Public"})

    monkeypatch.setattr(sklearn.datasets, "fetch_openml", fetch_openml)
    return calls


def test_load_openml_by_id_calls_fetch_openml(fake_fetch_openml, tmp_path):
    X, _, info = load_openml(37, data_home=tmp_path)
    assert fake_fetch_openml == [{"data_id": 37, "as_frame": True, "data_home": tmp_path, "parser": "auto"}]
    assert isinstance(X, pd.DataFrame) and X.shape == (768, 8)
    assert set(info) == INFO_KEYS
    assert info["name"] == "diabetes" and info["openml_id"] == 37 and info["source"] == "openml"
    assert info["licence"] == "Public" and info["n_classes"] == 2
    load_openml("37")
    assert fake_fetch_openml[-1]["data_id"] == 37 and fake_fetch_openml[-1]["data_home"] is None


def test_load_openml_by_name_calls_fetch_openml(fake_fetch_openml, tmp_path):
    _, _, info = load_openml("diabetes", data_home=str(tmp_path))
    assert fake_fetch_openml == [
        {"name": "diabetes", "version": "active", "as_frame": True, "data_home": str(tmp_path), "parser": "auto"}
    ]
    assert info["openml_id"] == 37


def test_load_openml_shipped_id_is_fetched_on_request(fake_fetch_openml):
    _, _, info = load_openml(1049, shipped_ok=False)
    assert fake_fetch_openml[-1]["data_id"] == 1049 and info["source"] == "openml"


@pytest.mark.parametrize(
    "error",
    [
        urllib.error.URLError("[Errno -3] Temporary failure in name resolution"),
        OSError("Network is unreachable"),
        TimeoutError("timed out"),
    ],
)
def test_offline_fetch_failure_is_explained(monkeypatch, error):
    def offline(**kwargs):
        raise error

    monkeypatch.setattr(sklearn.datasets, "fetch_openml", offline)
    with pytest.raises(RuntimeError, match=r"Could not load OpenML dataset 40701") as info:
        load_openml(40701, data_home="/somewhere")
    message = str(info.value)
    assert "--data-home" in message and "'/somewhere'" in message and "pc4 (OpenML 1049)" in message
    assert info.value.__cause__ is error


def test_unknown_openml_dataset_is_a_value_error(monkeypatch):
    def not_found(**kwargs):
        raise ValueError("No active dataset no-such-data found.")

    monkeypatch.setattr(sklearn.datasets, "fetch_openml", not_found)
    with pytest.raises(ValueError, match="Could not load OpenML dataset 'no-such-data'.*No active dataset"):
        load_openml("no-such-data")


def test_openml_dataset_without_single_target(monkeypatch):
    frame = pd.DataFrame({"a": [1.0, 2.0]})
    monkeypatch.setattr(sklearn.datasets, "fetch_openml", lambda **kwargs: Bunch(data=frame, target=None, details={}))
    with pytest.raises(ValueError, match="no single default target"):
        load_openml(12345)


# -- shared offline copies ---------------------------------------------------------------------------


@pytest.mark.shared_data
def test_load_shared_by_name_and_id(manifest):
    assert {"name", "openml_id", "file", "target"} <= set(manifest.columns)
    X, y, info = load_shared("kc1")
    assert X.shape == (2109, 21) and info["n_classes"] == 2 and info["openml_id"] == 1067
    assert info["source"] == "shared" and INFO_KEYS <= set(info)
    X_by_id, _, info_by_id = load_shared(1067)
    assert info_by_id["name"] == "kc1" and X_by_id.shape == X.shape
    X, y, info = load_shared("vehicle")
    assert X.shape == (846, 18) and info["n_classes"] == 4 and y.name == "Class"
    _, _, info = load_shared("yeast_me2")  # no OpenML id of its own
    assert info["openml_id"] is None and "yeast" in info["notes"]


@pytest.mark.shared_data
def test_load_shared_unknown_name(manifest):
    with pytest.raises(ValueError, match="No shared dataset 'no-such-data'.*kc1"):
        load_shared("no-such-data")


@pytest.mark.shared_data
def test_load_shared_explicit_folder_and_environment(manifest, monkeypatch, tmp_path):
    folder = manifest.attrs["folder"]
    assert load_shared("diabetes", shared_dir=folder)[2]["n_samples"] == 768
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SKLEARN_SURROGATE_SHARED_DATASETS", folder)
    assert load_shared("diabetes")[2]["n_samples"] == 768
    monkeypatch.setenv("SKLEARN_SURROGATE_SHARED_DATASETS", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="No MANIFEST.tsv.*SKLEARN_SURROGATE_SHARED_DATASETS"):
        load_shared("diabetes")
    with pytest.raises(FileNotFoundError, match="No MANIFEST.tsv.*shared_dir"):
        load_shared("diabetes", shared_dir=tmp_path)


def test_missing_shared_folder_is_explained(monkeypatch, tmp_path):
    monkeypatch.delenv("SKLEARN_SURROGATE_SHARED_DATASETS", raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(_shared, "__file__", str(tmp_path / "repo" / "sklearn_surrogate" / "datasets" / "_shared.py"))
    with pytest.raises(FileNotFoundError, match="No shared datasets found.*SKLEARN_SURROGATE_SHARED_DATASETS"):
        load_shared("kc1")


def test_switch_turns_shared_discovery_off(monkeypatch, tmp_path):
    """SKLEARN_SURROGATE_SHARED_DATASETS=off: a user's clone, whatever folders are above; shared_dir still works."""
    (tmp_path / "toy.csv").write_text("a,label\n1.0,x\n2.0,y\n", encoding="utf-8")
    (tmp_path / "MANIFEST.tsv").write_text("name\topenml_id\tfile\ttarget\ntoy\t\ttoy.csv\tlabel\n", encoding="utf-8")
    for value in ["off", "OFF", "0", "false", "none"]:
        monkeypatch.setenv("SKLEARN_SURROGATE_SHARED_DATASETS", value)
        with pytest.raises(FileNotFoundError, match="Shared datasets are turned off.*--shared-dir"):
            shared_manifest()
        with pytest.raises(FileNotFoundError, match="turned off"):
            load_shared("toy")
        assert load_shared("toy", shared_dir=tmp_path)[2]["n_samples"] == 2


def test_shared_file_missing_is_explained(tmp_path):
    (tmp_path / "MANIFEST.tsv").write_text(
        "name\topenml_id\tfile\ttarget\nghost\t\tghost.csv.gz\tClass\n", encoding="utf-8"
    )
    with pytest.raises(FileNotFoundError, match="'ghost' is listed in MANIFEST.tsv"):
        load_shared("ghost", shared_dir=tmp_path)


# -- preprocessing -----------------------------------------------------------------------------------------


def _check_dense_float(Xt, n_rows):
    assert isinstance(Xt, np.ndarray) and Xt.dtype == np.float64
    assert Xt.shape[0] == n_rows and np.isfinite(Xt).all()


@pytest.mark.shared_data
def test_preprocessor_on_adult_with_missing_values(manifest):
    X, _, _ = load_shared("adult")
    # 500 rows, a third of them with a missing value (adult's missing values are in categorical columns)
    has_missing = X.isna().any(axis=1).to_numpy()
    rng = np.random.RandomState(0)
    rows = np.concatenate(
        [
            rng.choice(np.flatnonzero(has_missing), 170, replace=False),
            rng.choice(np.flatnonzero(~has_missing), 330, replace=False),
        ]
    )
    X = X.iloc[rows].copy()
    categorical = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
    numeric = [c for c in X.columns if c not in categorical]
    assert categorical and numeric and X[categorical].isna().any().any()
    X[numeric[0]] = X[numeric[0]].astype(np.float64)
    X.loc[X.index[:5], numeric[0]] = np.nan  # and some numeric ones
    train, test = X.iloc[:400], X.iloc[400:]
    prep = make_preprocessor(train).fit(train)
    Xt = prep.transform(train)
    _check_dense_float(Xt, 400)
    n_categories = sum(train[c].nunique() for c in categorical)  # NaN imputed by an existing category
    assert Xt.shape[1] == len(numeric) + n_categories
    np.testing.assert_allclose(Xt[:, : len(numeric)].mean(axis=0), 0.0, atol=1e-10)  # scaled
    _check_dense_float(prep.transform(test), 100)  # unseen categories are ignored, not an error
    assert pickle.loads(pickle.dumps(prep)).transform(test).shape == (100, Xt.shape[1])


def test_preprocessor_on_pandas_dtypes_with_missing_values():
    X = pd.DataFrame(
        {
            "float": [1.0, np.nan, 3.0, 4.0],
            "nullable_int": pd.array([1, None, 3, 4], dtype="Int64"),
            "text": ["a", None, "b", "a"],
            "string": pd.array(["m", pd.NA, "n", "m"], dtype="string"),
            "category": pd.Categorical(["u", np.nan, "v", "u"]),
            "flag": [True, False, True, False],
            "nullable_flag": pd.array([True, pd.NA, False, True], dtype="boolean"),
            "mixed": pd.Series(["p", np.nan, 3, "p"], dtype=object),
        }
    )
    prep = make_preprocessor(X)
    Xt = prep.fit_transform(X)
    _check_dense_float(Xt, 4)
    assert Xt.shape[1] == 2 + 6 * 2
    names = list(prep.get_feature_names_out())
    assert names[:2] == ["numeric__float", "numeric__nullable_int"] and "categorical__flag_True" in names


def test_preprocessor_on_a_numpy_array():
    X = np.array([[1.0, np.nan], [3.0, 4.0], [5.0, 6.0]])
    Xt = make_preprocessor(X).fit_transform(X)
    _check_dense_float(Xt, 3)
    np.testing.assert_allclose(Xt.mean(axis=0), 0.0, atol=1e-12)
