"""The model: K sweep, choice of K, final fit, behind one interface with several strategies.

A strategy is a module with ``NAME``, ``applies(model_config, n_rows)``,
``prepare(session, columns, n_rows) -> Prepared`` (the matrix step: read what
the fit needs) and ``fit(session, prepared, n_distinct=, on_step=, warm=) ->
FitResult`` (the model step: leave ``segsql_labels`` in the database; ``warm``
is the previous run's centres, :mod:`.warm`). The
first strategy in :data:`STRATEGIES` that applies is the run's; adding one
(Spark MLlib) is one module and one entry there.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from segsql.config import ModelConfig
from segsql.session import Session
from segsql.steps.fit import in_memory, streamed, warm
from segsql.steps.fit.result import FitResult, Prepared, StepCallback
from segsql.steps.fit.warm import WarmStart

__all__ = ["STRATEGIES", "FitResult", "Prepared", "Strategy", "fit", "prepare"]


class Strategy(Protocol):
    NAME: str

    def applies(self, model: ModelConfig, n_rows: int) -> bool: ...

    def prepare(self, session: Session, columns: tuple[str, ...], n_rows: int) -> Prepared: ...

    def fit(
        self,
        session: Session,
        prepared: Prepared,
        *,
        n_distinct: int | None,
        on_step: StepCallback,
        warm: WarmStart | None = None,
    ) -> FitResult: ...


# in order of preference; the in-memory fit applies to every run, so it comes last
STRATEGIES: tuple[Strategy, ...] = (streamed, in_memory)


def prepare(session: Session, results: Mapping[str, Any]) -> Prepared:
    """The matrix step: choose the strategy and read what its fit needs."""
    pre = results["preprocess"]
    strategy = next(s for s in STRATEGIES if s.applies(session.config.model, pre.n_rows))
    return strategy.prepare(session, pre.columns, pre.n_rows)


def fit(session: Session, results: Mapping[str, Any]) -> FitResult:
    """The model step: the chosen strategy's fit; leaves ``segsql_labels``."""
    prepared: Prepared = results["matrix"]
    strategy = next(s for s in STRATEGIES if prepared.strategy == s.NAME)
    result = strategy.fit(
        session,
        prepared,
        n_distinct=results["features"].n_distinct,
        on_step=session.tell("model"),
        warm=warm.load(session, results),  # None unless [lifecycle] warm_start
    )
    session.leave("labels", "segsql_labels")
    return result
