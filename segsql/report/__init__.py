"""The report: chart functions (pure, :mod:`segsql.report.charts`) and the writer of one
offline HTML page with the charts' Vega-Lite files, and PNG and SVG ones on request
(:mod:`segsql.report.writer`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from segsql.errors import SavedThenInterrupted
from segsql.session import Session

if TYPE_CHECKING:
    from segsql.report.writer import Report, write_report

__all__ = ["Report", "Written", "step", "write_report"]


def __getattr__(name: str) -> Any:
    # the writer loads Altair (and the charts): not before a report is written, so that a run
    # with `[output] report = false` and every other command start without it
    if name in ("Report", "write_report"):
        from segsql.report import writer

        return getattr(writer, name)
    raise AttributeError(f"module 'segsql.report' has no attribute {name!r}")


@dataclass(frozen=True)
class Written:
    """What the report step did: the page, or why there is none."""

    html: Path | None
    warning: str | None = None


def step(session: Session, results: Mapping[str, Any]) -> Written:
    """The report step, after the run is committed: a failure here is a warning, never a lost run."""
    if not session.config.output.report:
        return Written(html=None)
    run_id = results["writeback"].run_id
    try:
        from segsql.report import write_report  # through __getattr__: loads the writer now

        report = write_report(session.config, run_id=run_id, con=session.con)
    except KeyboardInterrupt as exc:  # the run is committed: a Ctrl-C here must not say otherwise
        raise SavedThenInterrupted(run_id=run_id) from exc
    except Exception as exc:  # noqa: BLE001 - any failure here must not lose the run
        return Written(
            html=None,
            warning=(
                f"the report was not written ({type(exc).__name__}: {exc}); the run is saved: "
                f"rewrite it with `segsql report`"
            ),
        )
    return Written(html=report.html)
