"""The sweep's metrics with sample weights ([features] weight), where scikit-learn takes none.

scikit-learn's ``calinski_harabasz_score`` and ``davies_bouldin_score`` have no
``sample_weight``; these are the same formulas with every sum over rows
weighted, so that a row of weight 3 counts as three copies of it: a cluster's
centre is its weighted mean, its scatter the weighted mean distance to it.
Davies-Bouldin is then exactly scikit-learn's on the repeated rows. For
Calinski-Harabasz the between/within dispersion ratio is the repeated rows'
and the degrees of freedom stay the rows' own, ``(n - k) / (k - 1)``, so
that the number does not depend on the scale of the weights (weights that
sum to 1 are as good as counts). The silhouette takes weights in
:mod:`.silhouette`. With equal weights each equals scikit-learn's number.
"""

from __future__ import annotations

import numpy as np

__all__ = ["calinski_harabasz", "davies_bouldin", "shares"]


def _centres(X: np.ndarray, codes: np.ndarray, w: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    totals = np.bincount(codes, weights=w, minlength=k)
    sums = np.zeros((k, X.shape[1]))
    np.add.at(sums, codes, X * w[:, None])
    with np.errstate(divide="ignore", invalid="ignore"):
        return sums / totals[:, None], totals


def calinski_harabasz(X: np.ndarray, labels: np.ndarray, sample_weight: np.ndarray) -> float:
    """The weighted variance ratio criterion (higher: better separated)."""
    w = np.asarray(sample_weight, dtype=np.float64)
    _, codes = np.unique(labels, return_inverse=True)
    codes = codes.reshape(-1)
    k, n = int(codes.max()) + 1, X.shape[0]
    centres, totals = _centres(X, codes, w, k)
    mean = np.average(X, axis=0, weights=w)
    between = float((totals * ((centres - mean) ** 2).sum(axis=1)).sum())
    within = float((w * ((X - centres[codes]) ** 2).sum(axis=1)).sum())
    return 1.0 if within == 0.0 else between * (n - k) / (within * (k - 1))


def davies_bouldin(X: np.ndarray, labels: np.ndarray, sample_weight: np.ndarray) -> float:
    """The weighted Davies-Bouldin index (lower: better separated)."""
    w = np.asarray(sample_weight, dtype=np.float64)
    _, codes = np.unique(labels, return_inverse=True)
    codes = codes.reshape(-1)
    k = int(codes.max()) + 1
    centres, totals = _centres(X, codes, w, k)
    gaps = np.sqrt(((X - centres[codes]) ** 2).sum(axis=1))
    scatter = np.bincount(codes, weights=w * gaps, minlength=k) / totals
    between = np.sqrt(((centres[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2))
    if np.allclose(scatter, 0) or np.allclose(between, 0):
        return 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = (scatter[:, None] + scatter[None, :]) / between
    ratio[np.isinf(ratio)] = np.nan
    return float(np.mean(np.nanmax(ratio, axis=1)))


def shares(labels: np.ndarray, sample_weight: np.ndarray) -> np.ndarray:
    """Each non-empty cluster's share of the total weight."""
    totals = np.bincount(labels, weights=sample_weight)
    counts = np.bincount(labels)
    return totals[counts > 0] / float(np.sum(sample_weight))
