"""The report: chart functions (pure, :mod:`segsql.report.charts`) and the writer of one
offline HTML page with PNG, SVG and Vega-Lite files (:mod:`segsql.report.writer`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from segsql.errors import SavedThenInterrupted
from segsql.report.writer import Report, write_report
from segsql.session import Session

__all__ = ["Report", "Written", "step", "write_report"]


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
