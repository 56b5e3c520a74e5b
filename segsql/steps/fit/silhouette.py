"""The silhouette coefficient, exactly as scikit-learn computes it, several times faster.

scikit-learn's ``silhouette_score`` builds each row's distances to every other
row and then sums them per cluster with one ``np.bincount`` per row, in
Python. Here the same float64 distances (the same ``-2 x·y + |x|² + |y|²``
arithmetic, clipped at 0, exact zeros on the diagonal) are summed per cluster
by one matrix product with the one-hot label matrix, block by block, and each
block's lower triangle is not recomputed: the distance matrix is symmetric, so
a block of rows i against columns j also gives rows j against columns i. The
result agrees with scikit-learn's to about 1e-13 (tests/test_silhouette.py);
only the order of the additions differs.
"""

from __future__ import annotations

import os

import numpy as np
from threadpoolctl import threadpool_limits

from segsql.steps.fit import threads

__all__ = ["silhouette_score"]

# rows per block: a block of distances is BLOCK × BLOCK float64 (512 KB at 256), cache-sized
_BLOCK = 256


def silhouette_score(
    X: np.ndarray,
    labels: np.ndarray,
    *,
    sample_size: int | None = None,
    random_state: int | None = None,
) -> float:
    """The mean silhouette coefficient of ``labels`` on ``X`` (Euclidean).

    With ``sample_size``, the rows are drawn as scikit-learn draws them
    (``RandomState(random_state).permutation(n)[:sample_size]``), so the same
    arguments give the same number as ``sklearn.metrics.silhouette_score``.

    >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [5.0, 0.0], [5.0, 1.0]])
    >>> round(silhouette_score(X, np.array([0, 0, 1, 1])), 6)
    0.801961
    """
    X = np.asarray(X, dtype=np.float64)
    labels = np.asarray(labels)
    if sample_size is not None:
        indices = np.random.RandomState(random_state).permutation(X.shape[0])[:sample_size]
        X, labels = X[indices], labels[indices]
    n = X.shape[0]
    _, codes, freqs = np.unique(labels, return_inverse=True, return_counts=True)
    codes = codes.reshape(-1)
    k = freqs.shape[0]
    if not 2 <= k <= n - 1:
        raise ValueError(f"Number of labels is {k}. Valid values are 2 to n_samples - 1 (inclusive)")

    sums = _cluster_distance_sums(np.ascontiguousarray(X), codes, k)
    rows = np.arange(n)
    with np.errstate(divide="ignore", invalid="ignore"):
        intra = sums[rows, codes] / (freqs - 1)[codes]
        sums[rows, codes] = np.inf
        inter = (sums / freqs).min(axis=1)
        s = (inter - intra) / np.maximum(intra, inter)
    # a cluster of one row has silhouette 0 (scikit-learn's nan_to_num)
    return float(np.mean(np.nan_to_num(s)))


def _cluster_distance_sums(X: np.ndarray, codes: np.ndarray, k: int) -> np.ndarray:
    """sums[i, c] = the sum of the distances from row i to the rows of cluster c."""
    n = X.shape[0]
    onehot = np.zeros((n, k))
    onehot[np.arange(n), codes] = 1.0
    sq = np.einsum("ij,ij->i", X, X)
    starts = list(range(0, n, _BLOCK))
    workers = max(1, min(os.cpu_count() or 1, len(starts)))

    def band(first: int) -> np.ndarray:
        # every `workers`-th band of rows, against the columns from the band onwards
        sums = np.zeros((n, k))
        for i in starts[first::workers]:
            ri = slice(i, min(i + _BLOCK, n))
            for j in starts:
                if j < i:
                    continue
                rj = slice(j, min(j + _BLOCK, n))
                D = X[ri] @ X[rj].T
                D *= -2.0
                D += sq[ri, None]
                D += sq[None, rj]
                np.maximum(D, 0.0, out=D)
                if i == j:
                    np.fill_diagonal(D, 0.0)
                np.sqrt(D, out=D)
                sums[ri] += D @ onehot[rj]
                if i != j:
                    sums[rj] += D.T @ onehot[ri]
        return sums

    # NumPy releases the GIL in these small products and ufuncs: one Python thread per core,
    # each with a single-threaded BLAS (a threaded BLAS on blocks this small only spins)
    # on daemon threads, waited for in short slices, so that a Ctrl-C stops it at once
    with threadpool_limits(limits=1, user_api="blas"):
        total = np.zeros((n, k))
        for part in threads.imap(band, range(workers), workers=workers):
            total += part
        return total
