"""What every fit strategy returns, and the one rule that numbers segments."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["FitResult", "Prepared", "StepCallback", "SweepPoint", "renumber"]

# on_step(what, done, total): the sweep's K values one by one, then the final fit
StepCallback = Callable[[str, int, int], None]


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
    largest_share: float | None = None
    # whether K meets [model] min_segment_share / max_segment_share (true when none is set)
    meets_constraints: bool = True
    # the criteria that rank this K best ("silhouette, elbow"; "… (allowed)": best of the K values
    # meeting the constraints, when the criterion's overall best does not); None: no criterion
    preferred_by: str | None = None


@dataclass(frozen=True)
class Prepared:
    """What the matrix step readied for a strategy's fit.

    ``sample`` is the K sweep's seeded sample when the strategy read it apart
    from the whole matrix (the streamed fit); the in-memory fit keeps its
    matrix in the session instead. ``weights`` are the rows' sample weights.
    """

    strategy: str
    columns: tuple[str, ...]
    n_rows: int
    sample: np.ndarray | None = None
    # each row's weight ([features] weight), by row number; None: unweighted
    weights: np.ndarray | None = None


@dataclass(frozen=True)
class FitResult:
    """The final model. Segments are 1..K, numbered by :func:`renumber`; ``centers`` in that order.

    Every strategy leaves the labels in the database, as the temp table
    ``segsql_labels(segsql_entity, segment, distance)``.
    """

    strategy: str
    k: int
    k_choice: str
    sweep: tuple[SweepPoint, ...]
    sweep_rows: int
    centers: np.ndarray
    inertia: float
    silhouette: float
    n_iter: int
    # for the run's warnings: a warm start that could not be made
    warnings: tuple[str, ...] = ()
    # k-means++ starts per K in the sweep (``runs.sweep_n_init``; sweep.sweep_n_init)
    sweep_n_init: int | None = None


def renumber(sizes: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """The raw cluster indices in segment order: largest first, equal sizes ordered by centroid.

    Segment ``s`` (1-based) is raw cluster ``order[s - 1]``.

    >>> renumber(np.array([2, 5, 2]), np.array([[1.0], [0.0], [0.5]]))
    array([1, 2, 0])
    """
    return np.array(
        sorted(range(centers.shape[0]), key=lambda c: (-sizes[c], tuple(centers[c]))), dtype=np.int64
    )
