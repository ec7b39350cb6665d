"""Model selection on existing distributed engines: joblib's Dask and Ray backends.

Nothing here is specific to this package's code: these tests check that
``SurrogateClassifier`` pipelines, their losses (learned ones included) and
fitted models travel to worker processes and back, and that a grid search run
on a cluster gives the sequential run's results.
"""

import os
import pickle

import joblib
import numpy as np
import pytest
import torch
from sklearn.datasets import make_classification
from sklearn.model_selection import GridSearchCV, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_surrogate import SurrogateClassifier, make_surrogate_scorer
from sklearn_surrogate.losses import get_loss

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::ResourceWarning")


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(n_samples=500, n_features=10, n_informative=6, weights=[0.7], random_state=0)
    return X, y


def _grid():
    # n_threads=1 in the sequential run and in the workers: float32 reductions then run in the same
    # order, so the two runs agree to the bit
    pipe = make_pipeline(StandardScaler(), SurrogateClassifier(max_iter=5, random_state=0, n_threads=1))
    param_grid = {
        "surrogateclassifier__loss": ["cross_entropy", "f1"],
        "surrogateclassifier__learning_rate_init": [1e-3, 1e-2],
        "surrogateclassifier__hidden_layer_sizes": [(16,), (32,)],
    }
    return GridSearchCV(pipe, param_grid, cv=3, scoring=make_surrogate_scorer("f1"), n_jobs=-1)


def _assert_same_search(a, b):
    assert len(a.cv_results_["params"]) == 8
    np.testing.assert_array_equal(a.cv_results_["mean_test_score"], b.cv_results_["mean_test_score"])
    assert a.best_params_ == b.best_params_


@pytest.fixture(scope="module")
def sequential_search(data):
    return _grid().set_params(n_jobs=1).fit(*data)


# -- Dask -------------------------------------------------------------------------------
def test_grid_search_on_a_dask_cluster_equals_the_sequential_run(data, sequential_search):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster, distributed.Client(cluster) as client:
        # dask's nanny starts workers with OMP_NUM_THREADS=1: torch runs one thread per worker
        assert set(client.run(torch.get_num_threads).values()) == {1}
        with distributed.get_task_stream(client) as stream, joblib.parallel_config(backend="dask"):
            search = _grid().fit(*data)
        # the fits did run on the cluster, on both workers (joblib's automatic batching may group
        # several of the 24 fits into one task, so the number of tasks is not fixed)
        assert len(stream.data) >= 2 and len({task["worker"] for task in stream.data}) == 2
    _assert_same_search(search, sequential_search)
    np.testing.assert_array_equal(search.predict(data[0]), sequential_search.predict(data[0]))


def test_cross_validate_with_a_learned_loss_on_a_dask_cluster(data):
    distributed = pytest.importorskip("distributed")
    clf = SurrogateClassifier(loss="reloss", loss__metric="f1", max_iter=3, random_state=0, n_threads=1)
    sequential = cross_validate(clf, *data, cv=2, return_estimator=True)
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster, distributed.Client(cluster), joblib.parallel_config(backend="dask"):
        parallel = cross_validate(clf, *data, cv=2, n_jobs=-1, return_estimator=True)
    np.testing.assert_array_equal(parallel["test_score"], sequential["test_score"])
    for a, b in zip(parallel["estimator"], sequential["estimator"]):  # fitted models came back whole
        np.testing.assert_array_equal(a.predict_proba(data[0]), b.predict_proba(data[0]))


# -- Ray -----------------------------------------------------------------------------------
def test_grid_search_on_ray_equals_the_sequential_run(data, sequential_search):
    ray = pytest.importorskip("ray")
    from ray.util.joblib import register_ray

    register_ray()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, object_store_memory=100 * 2**20)
    try:
        with joblib.parallel_config(backend="ray"):
            search = _grid().fit(*data)
    finally:
        ray.shutdown()
    _assert_same_search(search, sequential_search)


# -- what travels to workers -----------------------------------------------------------------
@pytest.mark.parametrize("loss", ["cross_entropy", "f1", "auc_margin", "aldr_kl", "reloss", "ensloss"])
def test_losses_and_fitted_models_pickle_with_cloudpickle(data, loss):
    """Dask and Ray ship tasks with cloudpickle: losses, unfitted and fitted estimators round-trip."""
    cloudpickle = pytest.importorskip("cloudpickle")
    X, y = data
    instance = get_loss(loss)
    restored = cloudpickle.loads(cloudpickle.dumps(instance))
    assert type(restored) is type(instance) and restored.get_params() == instance.get_params()
    clf = SurrogateClassifier(loss=loss, max_iter=2, random_state=0).fit(X, y)
    back = cloudpickle.loads(cloudpickle.dumps(clf))
    np.testing.assert_array_equal(back.predict_proba(X), clf.predict_proba(X))
    assert pickle.loads(pickle.dumps(back)).n_iter_ == clf.n_iter_


def test_fitting_writes_no_files_to_the_working_directory(data, tmp_path, monkeypatch):
    """Parallel fits cannot collide on files: a fit (early stopping, learned loss, compile) writes none."""
    monkeypatch.chdir(tmp_path)
    X, y = data
    SurrogateClassifier(loss="reloss", early_stopping=True, max_iter=3, random_state=0).fit(X, y)
    SurrogateClassifier(compile={"backend": "eager"}, early_stopping=True, max_iter=2).fit(X, y)
    assert os.listdir(tmp_path) == []


def test_device_auto_uses_the_worker_visible_accelerator(monkeypatch, data):
    """``device="auto"`` resolves where the fit runs: a worker without a GPU trains on its CPU."""
    X, y = data
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    clf = SurrogateClassifier(device="auto", max_iter=1).fit(X, y)
    assert clf.device_.type in ("cpu", "mps", "xpu")
    if torch.cuda.device_count():  # pragma: no cover - GPU machines only
        monkeypatch.undo()
        assert SurrogateClassifier(device="auto", max_iter=1).fit(X, y).device_ == torch.device("cuda")
