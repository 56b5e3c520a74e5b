"""The K sweep and the choice of K, shared by every fit strategy: scikit-learn on a matrix."""

from __future__ import annotations

import math
import os
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from segsql.config import ModelConfig
from segsql.errors import DataError
from segsql.steps.fit import threads, weighted
from segsql.steps.fit.result import StepCallback, SweepPoint
from segsql.steps.fit.silhouette import silhouette_score, silhouette_scores

__all__ = [
    "CRITERIA",
    "Choice",
    "Sweep",
    "choose",
    "fit_estimator",
    "make_estimator",
    "silhouette",
    "sweep_k",
    "sweep_n_init",
    "usable_ks",
]


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
    # scikit-learn is imported where a fit needs it (segsql.preload has usually loaded it by then)
    from sklearn.cluster import BisectingKMeans, KMeans, MiniBatchKMeans

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
    # per K: whether it meets the share constraints, and the criteria that rank it best
    allowed: dict[int, bool] = field(default_factory=dict)
    preferred_by: dict[int, str] = field(default_factory=dict)
    # k-means++ starts per K (``runs.sweep_n_init``): see :func:`sweep_n_init`
    n_init: int = 0

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
                largest_share=p[5],
                meets_constraints=self.allowed.get(kk, True),
                preferred_by=self.preferred_by.get(kk),
            )
            for kk, p in sorted(self.points.items())
        )


def sweep_n_init(model: ModelConfig, *, sampled: bool) -> int:
    """How many k-means++ starts the sweep gives each K.

    On a sample (``sampled``: fewer rows than the run's) the sweep only ranks the
    K values and the final fit starts ``n_init`` times on every row, so
    ``sweep_n_init`` starts (3 by default, never more than ``n_init``) are enough:
    at 1,000,000 customers they find the same inertias as 10, to ~0.1%, in a fifth
    of the time (bench/README.md). A sweep of every row keeps ``n_init``: its fit at
    the chosen K is the run's final fit, so small runs (the seed demo) are unchanged.

    >>> from segsql.config import ModelConfig
    >>> sweep_n_init(ModelConfig(), sampled=True), sweep_n_init(ModelConfig(), sampled=False)
    (3, 10)
    >>> sweep_n_init(ModelConfig(n_init=2), sampled=True)
    2
    """
    return min(model.n_init, model.sweep_n_init) if sampled else model.n_init


def sweep_k(
    Xs: np.ndarray,
    model: ModelConfig,
    ks: list[int],
    *,
    on_step: StepCallback | None = None,
    sample_weight: np.ndarray | None = None,
    sampled: bool = False,
) -> Sweep:
    """Fit every K of the sweep on ``Xs``, record its metrics, choose K.

    ``sampled``: ``Xs`` is a sample of the run's rows, so each K is started
    :func:`sweep_n_init` times, and (unweighted, on a metric sample) the K values'
    silhouettes are computed together once every K is fitted (:func:`silhouette_scores`:
    the same rows, their distances computed once instead of once per K, the same numbers).

    The K values are fitted side by side, one per core, each fit single-threaded, the
    largest K first (``on_step`` is told them in that order):
    on a sample, scikit-learn's OpenMP threads spend much of their time waiting
    at barriers, and far more so when other processes share the cores. Each fit
    is the same computation whatever thread runs it, so the result does not
    depend on the scheduling. ``sample_weight``: the rows' weights ([features] weight).
    """

    n_init = sweep_n_init(model, sampled=sampled)
    fit_model = model if n_init == model.n_init else model.model_copy(update={"n_init": n_init})

    together = (
        sampled and sample_weight is None and bool(model.metric_sample) and Xs.shape[0] > model.metric_sample
    )

    def fit_one(kk: int) -> tuple[Estimator, tuple[float, ...]]:
        with threadpool_limits(limits=1, user_api="openmp"):
            est = fit_estimator(Xs, fit_model, kk, sample_weight=sample_weight)
        return est, _metrics(Xs, est.labels_, est.inertia_, model, sample_weight, score=not together)

    fitted: dict[int, Any] = {}
    points: dict[int, tuple[float, ...]] = {}
    workers = max(1, min(os.cpu_count() or 1, len(ks)))
    # the largest K first: its fits take longest (more centres to seed, more iterations), so
    # the small ones fill in at the end and the workers finish together (0.7 s instead of
    # 0.8 s at 1,000,000 customers: bench/README.md, "Issue 16"); each K's result is the same
    order = sorted(ks, reverse=True)
    # on daemon threads, waited for in short slices: a Ctrl-C stops the sweep at once
    results = threads.imap(fit_one, order, workers=workers)
    for done, kk in enumerate(order):
        if on_step:
            on_step(f"K sweep, K = {kk}", done, len(ks) + 1)
        fitted[kk], points[kk] = next(results)
    if together:
        # as silhouette(): a K whose fit found one cluster has none
        scored = [kk for kk in ks if len(np.unique(fitted[kk].labels_)) >= 2]
        scores = silhouette_scores(
            Xs,
            [fitted[kk].labels_ for kk in scored],
            sample_size=model.metric_sample,
            random_state=model.random_state,
        )
        for kk, score in zip(scored, scores, strict=True):
            points[kk] = (score, *points[kk][1:])
    choice = choose(model, points)
    return Sweep(
        fitted=fitted,
        points=points,
        k=choice.k,
        k_choice=choice.text,
        allowed=choice.allowed,
        preferred_by=choice.preferred_by,
        n_init=n_init,
    )


def fit_estimator(
    X: np.ndarray,
    model: ModelConfig,
    k: int,
    *,
    init: np.ndarray | None = None,
    sample_weight: np.ndarray | None = None,
) -> Estimator:
    """``model``'s estimator at ``k`` (from ``init``) fitted on ``X`` (rows weighted by
    ``sample_weight``: every algorithm takes it), on a thread of its own.

    See :mod:`.threads`.
    """
    est = make_estimator(model, k, init=init)

    def fit() -> Estimator:
        with warnings.catch_warnings():
            # a sweep K above the number of distinct points warns; the check above reports it
            warnings.simplefilter("ignore", category=UserWarning)
            return est.fit(X, sample_weight=sample_weight)

    return threads.call(fit)


def silhouette(
    X: np.ndarray, labels: np.ndarray, model: ModelConfig, sample_weight: np.ndarray | None = None
) -> float:
    if len(np.unique(labels)) < 2:
        return float("nan")
    # segsql.silhouette gives scikit-learn's number (same sample, same distances), faster;
    # weighted (README, "Sample weights"), on the same seeded sample of rows
    if model.metric_sample and X.shape[0] > model.metric_sample:
        return silhouette_score(
            X,
            labels,
            sample_size=model.metric_sample,
            random_state=model.random_state,
            sample_weight=sample_weight,
        )
    return silhouette_score(X, labels, sample_weight=sample_weight)


def _metrics(
    X: np.ndarray,
    labels: np.ndarray,
    inertia: float,
    model: ModelConfig,
    sample_weight: np.ndarray | None,
    *,
    score: bool = True,
) -> tuple[float, ...]:
    """A sweep point: silhouette (NaN unless ``score``: computed later), inertia, the other criteria."""
    if sample_weight is not None:  # scikit-learn's inertia_ is weighted already
        shares = weighted.shares(labels, sample_weight)
        return (
            silhouette(X, labels, model, sample_weight),
            float(inertia),
            weighted.calinski_harabasz(X, labels, sample_weight),
            weighted.davies_bouldin(X, labels, sample_weight),
            float(shares.min()),
            float(shares.max()),
        )
    from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score

    sizes = np.bincount(labels)
    return (
        silhouette(X, labels, model) if score else float("nan"),
        float(inertia),
        float(calinski_harabasz_score(X, labels)),
        float(davies_bouldin_score(X, labels)),
        float(sizes[sizes > 0].min() / X.shape[0]),
        float(sizes.max() / X.shape[0]),
    )


# the criteria that rank the K values, in the order k_choice names them; the first three by
# (index in a sweep point, which end is better), the elbow by the knee of the inertia curve
CRITERIA = ("silhouette", "calinski_harabasz", "davies_bouldin", "elbow")
_RANKED = {"silhouette": (0, max), "calinski_harabasz": (2, max), "davies_bouldin": (3, min)}
_LABEL = {
    "silhouette": "highest silhouette",
    "calinski_harabasz": "highest Calinski-Harabasz",
    "davies_bouldin": "lowest Davies-Bouldin",
}


@dataclass(frozen=True)
class Choice:
    """The chosen K, why (``runs.k_choice``), and per K what ``k_sweep`` records."""

    k: int
    text: str
    allowed: dict[int, bool]
    preferred_by: dict[int, str]


def choose(model: ModelConfig, points: dict[int, tuple[float, ...]]) -> Choice:
    """Choose K from the sweep's metrics; say what every criterion preferred.

    The share constraints (``[model] min_segment_share`` / ``max_segment_share``)
    filter first: each criterion ranks only the K values that meet them (all of
    them, said so, when none does). ``select = "consensus"`` takes the K that
    the most criteria rank best; a tie goes to the tied K with the highest
    silhouette (the best separated of the equally supported), then the smaller K.
    A fixed ``k`` is kept whatever the criteria say; they are still recorded.
    """
    ks = sorted(points)
    span = f"K = {ks[0]}..{ks[-1]}"
    ruled_out = {k: _ruled_out(model, points[k]) for k in ks}
    allowed = {k: ruled_out[k] is None for k in ks}
    candidates = [k for k in ks if allowed[k]]
    overall = {c: _best(c, ks, points) for c in CRITERIA}
    if candidates:
        among = {c: _best(c, candidates, points) for c in CRITERIA if c != "elbow"}
        # the knee is a property of the whole inertia curve: a ruled-out knee is not moved
        among["elbow"] = overall["elbow"] if overall["elbow"] in candidates else None
        scope = span + (" meeting the constraints" if len(candidates) < len(ks) else "")
    else:
        among, candidates = dict(overall), ks
        scope = f"{span} (none meets the constraints: {ruled_out[ks[0]]} at K = {ks[0]}; all were considered)"
    preferred_by = {}
    for k in ks:
        names = [c for c in CRITERIA if overall[c] == k]
        names += [f"{c} (allowed)" for c in CRITERIA if among[c] == k and overall[c] != k]
        if names:
            preferred_by[k] = ", ".join(names)

    if isinstance(model.k, int):
        k = model.k
        head = f"fixed by the config: k = {k}"
        if ruled_out.get(k):
            head += f" (does not meet the constraints: {ruled_out[k]})"
    elif model.select == "consensus":
        k, head = _consensus(among, points, candidates, scope)
    elif model.select == "elbow":
        knee = among["elbow"]
        if knee is not None:
            k, head = knee, f"auto by elbow: the knee of the inertia curve over {span} is at K = {knee}"
        else:
            k = among["silhouette"] or candidates[0]
            why = "no knee" if overall["elbow"] is None else f"the knee (K = {overall['elbow']}) is ruled out"
            head = (
                f"auto by elbow: {why} over {span}, so the highest silhouette ({points[k][0]:.4f}) of {scope}"
            )
    else:
        k = among[model.select] or candidates[0]
        index = _RANKED[model.select][0]
        value = f"{points[k][index]:.4f}"
        head = f"auto by {model.select}: K = {k} has the {_LABEL[model.select]} ({value}) of {scope}"
    return Choice(
        k=k,
        text=head + "; " + _criteria_said(overall, among, ruled_out, k),
        allowed=allowed,
        preferred_by=preferred_by,
    )


def _consensus(
    among: dict[str, int | None], points: dict[int, tuple[float, ...]], candidates: list[int], scope: str
) -> tuple[int, str]:
    votes: dict[int, list[str]] = {}
    for criterion in CRITERIA:
        if among[criterion] is not None:
            votes.setdefault(among[criterion], []).append(criterion)  # type: ignore[arg-type]
    if not votes:  # every silhouette undefined: nothing ranks, the smallest K is the least claim
        return candidates[0], f"auto by consensus: no criterion ranks {scope}, so the smallest K"
    most = max(len(v) for v in votes.values())
    tied = sorted(k for k, v in votes.items() if len(v) == most)
    k = max(tied, key=lambda kk: (_finite(points[kk][0]), -kk))
    by = f"{', '.join(votes[k])} ({most} of {len(CRITERIA)} criteria)"
    head = f"auto by consensus: K = {k}, ranked best by {by} of {scope}"
    if len(tied) > 1:
        others = ", ".join(f"K = {kk}" for kk in tied if kk != k)
        head += f", tied with {others} and taken for its higher silhouette"
    return k, head


def _criteria_said(
    overall: dict[str, int | None], among: dict[str, int | None], ruled_out: dict[int, str | None], k: int
) -> str:
    """What each criterion preferred, and whether they disagreed with one another or with K."""
    said = []
    for criterion in CRITERIA:
        best = overall[criterion]
        if best is None:
            said.append(f"{criterion}: no knee" if criterion == "elbow" else f"{criterion}: undefined")
            continue
        text = f"{criterion} preferred K = {best}"
        if ruled_out[best]:
            allowed = among[criterion]
            then = f"; best allowed K = {allowed}" if allowed is not None else ""
            text += f" (ruled out: {ruled_out[best]}{then})"
        said.append(text)
    preferred = {best for best in overall.values() if best is not None}
    agree = preferred == {k}
    return "; ".join(said) + ("; the criteria agree" if agree else "; the criteria disagree")


def _ruled_out(model: ModelConfig, point: tuple[float, ...]) -> str | None:
    """Why a K fails the share constraints (None: it meets them)."""
    low, high = model.min_segment_share, model.max_segment_share
    if low is not None and point[4] < low:
        return f"smallest segment {_percent(point[4])} < min_segment_share {_percent(low)}"
    if high is not None and point[5] > high:
        return f"largest segment {_percent(point[5])} > max_segment_share {_percent(high)}"
    return None


def _percent(share: float) -> str:
    """A share as a percentage, to three significant digits.

    >>> _percent(0.03), _percent(0.0296), _percent(0.5)
    ('3%', '2.96%', '50%')
    """
    return f"{share * 100:.3g}%"


def _finite(value: float) -> float:
    return value if math.isfinite(value) else -math.inf


def _best(criterion: str, ks: list[int], points: dict[int, tuple[float, ...]]) -> int | None:
    """The K that ``criterion`` ranks best among ``ks`` (ties: the smaller K); None when none ranks."""
    if criterion == "elbow":
        return _knee(ks, [points[k][1] for k in ks])
    index, better = _RANKED[criterion]
    ranked = [k for k in ks if math.isfinite(points[k][index])]
    if not ranked:
        return None
    return better(ranked, key=lambda k: (points[k][index], -k if better is max else k))


def _knee(ks: list[int], inertias: list[float]) -> int | None:
    if len(ks) < 3:
        return None
    from kneed import KneeLocator  # the well-kept knee finder; imported where used

    knee = KneeLocator(ks, inertias, curve="convex", direction="decreasing").knee
    return int(knee) if knee is not None else None
