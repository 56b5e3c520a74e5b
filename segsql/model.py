"""K sweep, choice of K, final fit and metrics: scikit-learn on the NumPy matrix."""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from sklearn.cluster import BisectingKMeans, KMeans, MiniBatchKMeans
from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score
from threadpoolctl import threadpool_limits

from .config import ModelConfig
from .errors import DataError
from .silhouette import silhouette_score

__all__ = [
    "ModelResult", "Sweep", "SweepPoint", "fit_model", "make_estimator", "sweep_k",
    "sweep_sample_rows", "usable_ks",
]  # fmt: skip


@dataclass(frozen=True)
class SweepPoint:
    """One K of the sweep: a row of the ``k_sweep`` table."""

    k: int
    inertia: float
    silhouette: float
    calinski_harabasz: float
    davies_bouldin: float
    smallest_share: float
    chosen: bool


@dataclass(frozen=True)
class ModelResult:
    """The final model. Labels are 1..K, numbered largest segment first.

    ``labels`` and ``distances`` are None when the model was streamed
    (segsql.stream): the labels are then already in DuckDB.
    """

    k: int
    k_choice: str
    sweep: tuple[SweepPoint, ...]
    sweep_rows: int
    labels: np.ndarray | None
    centers: np.ndarray
    distances: np.ndarray | None
    inertia: float
    silhouette: float
    n_iter: int


def make_estimator(model: ModelConfig, k: int) -> KMeans | MiniBatchKMeans | BisectingKMeans:
    """The scikit-learn estimator for ``[model] algorithm`` at ``k`` clusters."""
    common = dict(
        n_clusters=k, n_init=model.n_init, max_iter=model.max_iter, random_state=model.random_state
    )
    if model.algorithm == "minibatch":
        return MiniBatchKMeans(**common)
    if model.algorithm == "bisecting":
        return BisectingKMeans(**common)
    return KMeans(**common)


# on_step(what, done, total): the sweep's K values one by one, then the final fit
StepCallback = Callable[[str, int, int], None]


def fit_model(
    X: np.ndarray,
    model: ModelConfig,
    *,
    n_distinct: int | None = None,
    on_step: StepCallback | None = None,
) -> ModelResult:
    """Sweep K over ``model.ks()``, choose K, fit it on every row, renumber the segments.

    ``n_distinct`` (distinct rows of ``X``, when known) turns "fewer distinct
    points than K" into a clear error instead of scikit-learn's warning.
    ``on_step`` is told as each K of the sweep starts, and when the final fit starts.
    """
    n = X.shape[0]
    ks = usable_ks(model, n, n_distinct)
    sample = sweep_sample_rows(model, n)
    Xs = X if sample is None else X[sample]
    sweep = sweep_k(Xs, model, ks, on_step=on_step)
    fitted, points, k = sweep.fitted, sweep.points, sweep.k

    reused = sample is None and k in fitted  # the sweep already fitted K on every row
    if on_step:
        on_step(f"final fit, K = {k}, {n} rows", len(ks), len(ks) + 1)
    final = fitted[k] if reused else _fit(X, model, k)
    if len(np.unique(final.labels_)) < k:
        raise DataError(
            f"k-means found fewer than K = {k} non-empty segments: too few distinct points"
        )
    labels, centers = _renumber(final.labels_, final.cluster_centers_)
    distances = _distances(X, centers, labels)
    # KMeans reports the inertia of its final centres; the others are recomputed to match
    inertia = float(final.inertia_) if model.algorithm == "kmeans" else float((distances**2).sum())
    silhouette = points[k][0] if reused else _silhouette(X, labels, model)

    return ModelResult(
        k=k,
        k_choice=sweep.k_choice,
        sweep=sweep.table(),
        sweep_rows=Xs.shape[0],
        labels=labels,
        centers=centers,
        distances=distances,
        inertia=inertia,
        silhouette=silhouette,
        n_iter=int(getattr(final, "n_iter_", 0)),
    )


def usable_ks(model: ModelConfig, n: int, n_distinct: int | None) -> list[int]:
    """The sweep's K values that ``n`` rows (``n_distinct`` distinct points) can take."""
    if isinstance(model.k, int) and model.k >= n:
        # K = n rows is one row a segment: nothing learnt, and the silhouette is undefined
        raise DataError(
            f"[model] k = {model.k} but there are only {n} rows to segment (K must be below that)"
        )
    if isinstance(model.k, int) and n_distinct is not None and model.k > n_distinct:
        raise DataError(
            f"[model] k = {model.k} but there are only {n_distinct} distinct points to segment"
        )
    limit = min(n - 1, n_distinct if n_distinct is not None else n)
    ks = [k for k in model.ks() if k <= limit]
    if model.k == "auto" and not ks:
        raise DataError(
            f"[model] k_range = {list(model.k_range)} but there are only {n} rows "
            f"({limit} usable clusters at most)"
        )
    return ks


def sweep_sample_rows(model: ModelConfig, n: int) -> np.ndarray | None:
    """The row numbers the K sweep fits on (seeded, in entity order), or None for every row."""
    if model.sweep_sample and n > model.sweep_sample:
        rng = np.random.RandomState(model.random_state)
        return np.sort(rng.choice(n, model.sweep_sample, replace=False))
    return None


@dataclass(frozen=True)
class Sweep:
    """The K sweep: the fitted estimators, their metrics, and the chosen K."""

    fitted: dict[int, object]
    points: dict[int, tuple[float, ...]]
    k: int
    k_choice: str

    def table(self) -> tuple[SweepPoint, ...]:
        return tuple(
            SweepPoint(
                k=kk, inertia=p[1], silhouette=p[0], calinski_harabasz=p[2],
                davies_bouldin=p[3], smallest_share=p[4], chosen=kk == self.k,
            )  # fmt: skip
            for kk, p in sorted(self.points.items())
        )


def sweep_k(
    Xs: np.ndarray, model: ModelConfig, ks: list[int], *, on_step: StepCallback | None = None
) -> Sweep:
    """Fit every K of the sweep on ``Xs``, record its metrics, choose K.

    The K values are fitted side by side, one per core, each fit single-threaded:
    on a sample, scikit-learn's OpenMP threads spend much of their time waiting
    at barriers, and far more so when other processes share the cores. Each fit
    is the same computation whatever thread runs it, so the result does not
    depend on the scheduling.
    """

    def fit_one(kk: int) -> tuple[object, tuple[float, ...]]:
        with threadpool_limits(limits=1, user_api="openmp"):
            est = _fit(Xs, model, kk)
        return est, _metrics(Xs, est.labels_, est.inertia_, model)

    fitted, points = {}, {}
    workers = max(1, min(os.cpu_count() or 1, len(ks)))
    with ThreadPoolExecutor(workers) as pool:
        futures = [pool.submit(fit_one, kk) for kk in ks]
        for done, (kk, future) in enumerate(zip(ks, futures, strict=True)):
            if on_step:
                on_step(f"K sweep, K = {kk}", done, len(ks) + 1)
            fitted[kk], points[kk] = future.result()
    k, k_choice = _choose(model, points)
    return Sweep(fitted=fitted, points=points, k=k, k_choice=k_choice)


def _distances(X: np.ndarray, centers: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Each row's distance to its segment's centre, in blocks (no full-size temporaries)."""
    out = np.empty(X.shape[0])
    step = 1 << 16
    for start in range(0, X.shape[0], step):
        block = X[start : start + step] - centers[labels[start : start + step] - 1]
        out[start : start + step] = np.sqrt(np.einsum("ij,ij->i", block, block))
    return out


def _fit(X: np.ndarray, model: ModelConfig, k: int):
    est = make_estimator(model, k)
    with warnings.catch_warnings():
        # a sweep K above the number of distinct points warns; the check above reports it
        warnings.simplefilter("ignore", category=UserWarning)
        est.fit(X)
    return est


def _silhouette(X: np.ndarray, labels: np.ndarray, model: ModelConfig) -> float:
    if len(np.unique(labels)) < 2:
        return float("nan")
    # segsql.silhouette gives scikit-learn's number (same sample, same distances), faster
    if model.metric_sample and X.shape[0] > model.metric_sample:
        return silhouette_score(
            X, labels, sample_size=model.metric_sample, random_state=model.random_state
        )
    return silhouette_score(X, labels)


def _metrics(
    X: np.ndarray, labels: np.ndarray, inertia: float, model: ModelConfig
) -> tuple[float, ...]:
    sizes = np.bincount(labels)
    return (
        _silhouette(X, labels, model),
        float(inertia),
        float(calinski_harabasz_score(X, labels)),
        float(davies_bouldin_score(X, labels)),
        float(sizes[sizes > 0].min() / X.shape[0]),
    )


def _choose(model: ModelConfig, points: dict[int, tuple[float, ...]]) -> tuple[int, str]:
    if isinstance(model.k, int):
        return model.k, f"fixed by the config: k = {model.k}"
    ks = sorted(points)
    span = f"K = {ks[0]}..{ks[-1]}"
    if model.select == "elbow":
        knee = _knee(ks, [points[k][1] for k in ks])
        if knee is not None:
            return (
                knee,
                f"auto by elbow: the knee of the inertia curve over {span} is at K = {knee}",
            )
        best = max(ks, key=lambda k: (points[k][0], -k))
        return (
            best,
            f"auto by elbow: no knee over {span}, so the highest silhouette ({points[best][0]:.4f})",
        )
    index, better, label = {
        "silhouette": (0, max, "highest silhouette"),
        "calinski_harabasz": (2, max, "highest Calinski-Harabasz"),
        "davies_bouldin": (3, min, "lowest Davies-Bouldin"),
    }[model.select]
    # ties go to the smaller K
    best = better(ks, key=lambda k: (points[k][index], -k if better is max else k))
    return (
        best,
        f"auto by {model.select}: K = {best} has the {label} ({points[best][index]:.4f}) of {span}",
    )


def _knee(ks: list[int], inertias: list[float]) -> int | None:
    if len(ks) < 3:
        return None
    from kneed import KneeLocator  # the well-kept knee finder; imported where used

    knee = KneeLocator(ks, inertias, curve="convex", direction="decreasing").knee
    return int(knee) if knee is not None else None


def _renumber(labels: np.ndarray, centers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Segments 1..K by size, largest first; equal sizes ordered by centroid."""
    sizes = np.bincount(labels, minlength=centers.shape[0])
    order = sorted(range(centers.shape[0]), key=lambda c: (-sizes[c], tuple(centers[c])))
    new_number = np.empty(centers.shape[0], dtype=np.int64)
    new_number[order] = np.arange(1, centers.shape[0] + 1)
    return new_number[labels], centers[order]
