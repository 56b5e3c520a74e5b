"""Segment stability (``[lifecycle] stability = N``): is a segment real, or an accident of the seed?

Hennig's clusterboot (Hennig 2007, "Cluster-wise assessment of cluster
stability"): the run's clustering is repeated on ``N`` bootstrap resamples of
its rows, and each segment of the run is compared with the clusters of every
resample, on the rows that the resample holds. A segment's stability in one
resample is its largest Jaccard similarity (shared rows / rows in either) with
any of the resample's clusters; its stability is the mean over the resamples.
A segment the data really holds is found again (near 1); one that the seeds
or a few points made dissolves (low).

The procedure, exactly (``tests/test_stability.py`` repeats it with NumPy and
scikit-learn alone):

- the rows are the scaled matrix (``segsql_scaled``) with the run's final
  segments; above :data:`MAX_ROWS` rows, the seeded sample of that many rows
  (:func:`segsql.steps.matrix.seeded_rows` with ``[model] random_state``), so
  the cost is bounded: in memory it is taken from the matrix, in a streamed
  run it is read from DuckDB, labelled;
- resample ``b`` (0, 1, …) draws, with ``rng = numpy.random.default_rng([random_state, b])``,
  ``rng.integers(0, n, n)`` row positions (with replacement), then the seed of its fit,
  ``rng.integers(0, 2**32)``;
- its fit is the run's estimator (``[model] algorithm``, ``max_iter``) at the run's
  K with that seed and ``min([model] n_init, RESAMPLE_N_INIT)`` initialisations:
  N refits must cost a few runs, not N, and a segment that 3 seeds all miss is
  itself unstable. A warm start is not used: the resamples must find the
  segments on their own;
- each distinct drawn row takes its resample cluster (duplicates are the same
  point, so the same cluster); the Jaccard similarities are counted on those
  distinct rows; a segment none of whose rows was drawn (only a segment of a
  few rows) is left out of that resample's mean.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
from threadpoolctl import threadpool_limits

from segsql import sql
from segsql.session import Session
from segsql.steps import matrix
from segsql.steps.fit import threads
from segsql.steps.fit.sweep import fit_estimator

__all__ = ["MAX_ROWS", "RESAMPLE_N_INIT", "Stability", "jaccard_by_segment", "measure", "resample"]

# rows the resamples are drawn from, at most: 100,000 rows give each segment's Jaccard to
# within a few thousandths, and bound the N refits' time and memory at any input size
MAX_ROWS = 100_000
# initialisations of each resample's fit, at most
RESAMPLE_N_INIT = 3


@dataclass(frozen=True)
class Stability:
    """Each segment's mean Jaccard similarity over the resamples (NaN: never drawn)."""

    segments: tuple[int, ...]
    values: tuple[float, ...]
    resamples: int
    rows: int
    warnings: tuple[str, ...]


def measure(session: Session, results: Mapping[str, Any]) -> Stability:
    """The stability step: leave ``segsql_stability(segment, stability)`` for the segment summary."""
    config = session.config
    n_resamples, model = config.lifecycle.stability, config.model
    X, labels, weights = _rows(session, results)
    k = results["model"].k
    segments = np.unique(labels)
    tell = session.tell("stability")

    def one(b: int) -> np.ndarray:
        drawn, seed = resample(X.shape[0], b, model.random_state)
        fitted = model.model_copy(update={"n_init": min(model.n_init, RESAMPLE_N_INIT), "random_state": seed})
        # side by side, one core each, as the K sweep's fits (segsql.steps.fit.sweep)
        with threadpool_limits(limits=1, user_api="openmp"):
            # with [features] weight each resampled row keeps its weight, as in the fit
            drawn_weights = None if weights is None else weights[drawn]
            est = fit_estimator(X[drawn], fitted, k, sample_weight=drawn_weights)
        rows, first = np.unique(drawn, return_index=True)
        return jaccard_by_segment(labels[rows], np.asarray(est.labels_)[first], segments)

    workers = max(1, min(os.cpu_count() or 1, n_resamples))
    by_resample = []
    for b, row in enumerate(threads.imap(one, range(n_resamples), workers=workers)):
        tell(f"resample {b + 1} of {n_resamples}", b + 1, n_resamples)
        by_resample.append(row)
    table = np.vstack(by_resample)
    present = np.isfinite(table).sum(axis=0)
    means = np.where(present > 0, np.nansum(table, axis=0) / np.maximum(present, 1), np.nan)

    frame = pa.table(
        {
            "segment": pa.array(segments, pa.int32()),
            "stability": pa.array([None if np.isnan(v) else float(v) for v in means], pa.float64()),
        }
    )
    with sql.registered(session.con, "segsql_stability_in", frame):
        sql.execute(session.con, "stability/stability")
    session.leave("stability", "segsql_stability")
    floor = config.lifecycle.min_stability
    warnings = tuple(
        f"segment {s} is unstable: mean Jaccard {v:.2f} over {n_resamples} resamples "
        f"([lifecycle] min_stability = {floor:g})"
        for s, v in zip(segments.tolist(), means.tolist(), strict=True)
        if v < floor  # NaN (never drawn) compares False: nothing measured, nothing to say
    )
    return Stability(
        segments=tuple(segments.tolist()),
        values=tuple(means.tolist()),
        resamples=n_resamples,
        rows=X.shape[0],
        warnings=warnings,
    )


def resample(n: int, b: int, random_state: int) -> tuple[np.ndarray, int]:
    """Resample ``b``'s row positions (``n`` of ``0..n-1``, with replacement) and its fit's seed.

    >>> drawn, seed = resample(5, 0, 42)
    >>> drawn.shape, bool(((drawn >= 0) & (drawn < 5)).all()), resample(5, 0, 42)[1] == seed
    ((5,), True, True)
    """
    rng = np.random.default_rng([random_state, b])
    drawn = rng.integers(0, n, n)
    return drawn, int(rng.integers(0, 2**32))


def jaccard_by_segment(segment_of: np.ndarray, cluster_of: np.ndarray, segments: np.ndarray) -> np.ndarray:
    """For each of ``segments``, its largest Jaccard similarity with any cluster (NaN: no rows here).

    ``segment_of`` and ``cluster_of`` give, for the same rows, their segment in the
    run and their cluster in the resample.

    >>> jaccard_by_segment(np.array([1, 1, 2, 2]), np.array([0, 0, 0, 1]), np.array([1, 2, 3]))
    array([0.66666667, 0.5       ,        nan])
    """
    clusters, cluster_index = np.unique(cluster_of, return_inverse=True)
    counts = np.zeros((segments.shape[0], clusters.shape[0]))
    np.add.at(counts, (np.searchsorted(segments, segment_of), cluster_index), 1)
    in_segment, in_cluster = counts.sum(axis=1), counts.sum(axis=0)
    union = in_segment[:, None] + in_cluster[None, :] - counts
    with np.errstate(invalid="ignore"):
        best = (counts / np.where(union > 0, union, 1)).max(axis=1)
    return np.where(in_segment > 0, best, np.nan)


def _rows(session: Session, results: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """The rows the resamples are drawn from, their final segments and weights (see the module's text)."""
    model = session.config.model
    if session.matrix is not None and session.matrix.labels is not None:
        X, labels, w = session.matrix.X, session.matrix.labels, results["matrix"].weights
        sample = matrix.seeded_rows(X.shape[0], MAX_ROWS, model.random_state)
        if sample is None:
            return X, labels, w
        return X[sample], labels[sample], None if w is None else w[sample]
    # a streamed run: no matrix in memory; the sample is read with its (final) segments
    n, columns = results["preprocess"].n_rows, results["preprocess"].columns
    sample = matrix.seeded_rows(n, MAX_ROWS, model.random_state)
    chosen = np.arange(n) if sample is None else sample
    X, labels = matrix.labelled_rows(session.con, "projection/labelled_rows", columns, chosen)
    return X, labels, None  # the streamed fit takes no weights
