"""The K sweep and the choice of K, shared by every fit strategy: scikit-learn on a matrix."""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.cluster import BisectingKMeans, KMeans, MiniBatchKMeans
from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score
from threadpoolctl import threadpool_limits

from segsql.config import ModelConfig
from segsql.errors import DataError
from segsql.steps.fit import threads
from segsql.steps.fit.result import StepCallback, SweepPoint
from segsql.steps.fit.silhouette import silhouette_score

__all__ = ["Sweep", "fit_estimator", "make_estimator", "silhouette", "sweep_k", "usable_ks"]


# KMeans, MiniBatchKMeans or BisectingKMeans: scikit-learn ships no type information
Estimator = Any


def make_estimator(model: ModelConfig, k: int, *, init: np.ndarray | None = None) -> Estimator:
    """The scikit-learn estimator for ``[model] algorithm`` at ``k`` clusters.

    With ``init`` it starts from those centres, once (the warm start; not ``bisecting``).
    """
    common: dict[str, Any] = dict(
        n_clusters=k, n_init=model.n_init, max_iter=model.max_iter, random_state=model.random_state
    )
    if init is not None:
        common |= {"init": init, "n_init": 1}
    if model.algorithm == "minibatch":
        return MiniBatchKMeans(**common)
    if model.algorithm == "bisecting":
        return BisectingKMeans(**common)
    return KMeans(**common)


def usable_ks(model: ModelConfig, n: int, n_distinct: int | None) -> list[int]:
    """The sweep's K values that ``n`` rows (``n_distinct`` distinct points) can take."""
    if isinstance(model.k, int) and model.k >= n:
        # K = n rows is one row a segment: nothing learnt, and the silhouette is undefined
        raise DataError(
            f"[model] k = {model.k} but there are only {n} rows to segment (K must be below that)"
        )
    if isinstance(model.k, int) and n_distinct is not None and model.k > n_distinct:
        raise DataError(f"[model] k = {model.k} but there are only {n_distinct} distinct points to segment")
    limit = min(n - 1, n_distinct if n_distinct is not None else n)
    ks = model.ks(at_most=limit)  # bounded before it is built: k_range may reach beyond any row count
    if model.k == "auto" and not ks:
        raise DataError(
            f"[model] k_range = {list(model.k_range)} but there are only {n} rows "
            f"({limit} usable clusters at most)"
        )
    return ks


@dataclass(frozen=True)
class Sweep:
    """The K sweep: the fitted estimators, their metrics, and the chosen K."""

    fitted: dict[int, Any]
    points: dict[int, tuple[float, ...]]
    k: int
    k_choice: str

    def table(self) -> tuple[SweepPoint, ...]:
        return tuple(
            SweepPoint(
                k=kk,
                inertia=p[1],
                silhouette=p[0],
                calinski_harabasz=p[2],
                davies_bouldin=p[3],
                smallest_share=p[4],
                chosen=kk == self.k,
            )
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

    def fit_one(kk: int) -> tuple[Estimator, tuple[float, ...]]:
        with threadpool_limits(limits=1, user_api="openmp"):
            est = fit_estimator(Xs, model, kk)
        return est, _metrics(Xs, est.labels_, est.inertia_, model)

    fitted: dict[int, Any] = {}
    points: dict[int, tuple[float, ...]] = {}
    workers = max(1, min(os.cpu_count() or 1, len(ks)))
    # on daemon threads, waited for in short slices: a Ctrl-C stops the sweep at once
    results = threads.imap(fit_one, ks, workers=workers)
    for done, kk in enumerate(ks):
        if on_step:
            on_step(f"K sweep, K = {kk}", done, len(ks) + 1)
        fitted[kk], points[kk] = next(results)
    k, k_choice = _choose(model, points)
    return Sweep(fitted=fitted, points=points, k=k, k_choice=k_choice)


def fit_estimator(X: np.ndarray, model: ModelConfig, k: int, *, init: np.ndarray | None = None) -> Estimator:
    """``model``'s estimator at ``k`` (from ``init``) fitted on ``X``, on a thread of its own.

    See :mod:`.threads`.
    """
    est = make_estimator(model, k, init=init)

    def fit() -> Estimator:
        with warnings.catch_warnings():
            # a sweep K above the number of distinct points warns; the check above reports it
            warnings.simplefilter("ignore", category=UserWarning)
            return est.fit(X)

    return threads.call(fit)


def silhouette(X: np.ndarray, labels: np.ndarray, model: ModelConfig) -> float:
    if len(np.unique(labels)) < 2:
        return float("nan")
    # segsql.silhouette gives scikit-learn's number (same sample, same distances), faster
    if model.metric_sample and X.shape[0] > model.metric_sample:
        return silhouette_score(X, labels, sample_size=model.metric_sample, random_state=model.random_state)
    return silhouette_score(X, labels)


def _metrics(X: np.ndarray, labels: np.ndarray, inertia: float, model: ModelConfig) -> tuple[float, ...]:
    sizes = np.bincount(labels)
    return (
        silhouette(X, labels, model),
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
