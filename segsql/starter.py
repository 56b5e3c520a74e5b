"""Write a starter config for a data file: `segsql init DATAFILE`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import duckdb
import tomli_w

from segsql import sql
from segsql.errors import QueryError, SegsqlError, SourceError
from segsql.sources import is_numeric_type, reader_for
from segsql.steps.diagnostics import FeatureDiagnosis, diagnose_columns

__all__ = ["init_config"]

_ID_NAME = re.compile(r"(^id$|_id$|^id_|id$|^key$|_key$|number$|_no$|^code$)", re.IGNORECASE)


def init_config(datafile: str | Path, *, output: str | Path | None = None, force: bool = False) -> Path:
    """Inspect ``datafile`` and write ``<stem>.toml`` beside it (or at ``output``).

    The entity is the first column whose name looks like an id and whose
    values are unique (else the first unique column); the features are the
    other numeric columns. Returns the path written.
    """
    datafile = Path(datafile)
    if not datafile.exists():
        raise SourceError(f"{datafile}: file not found")
    target = Path(output) if output else datafile.with_suffix(".toml")
    if target.exists() and not force:
        raise SegsqlError(f"{target}: already exists (use --force to overwrite)")
    con = duckdb.connect()
    try:
        sql.execute(
            con,
            "sources/file",
            name="data",
            reader=reader_for(str(datafile)),
            path=str(datafile.resolve()),
        )
        # a name holding a NUL character cannot be written in SQL (sql.quote_ident): such a
        # column is neither the entity nor a feature, and the config leaves it out of `columns`
        columns = [c for c in sql.execute(con, "starter/profile_columns").fetchall() if "\x00" not in c[0]]
        n_rows = sql.execute(con, "starter/row_count").fetchall()[0][0]
        distinct = {
            name: sql.execute(con, "starter/distinct_count", column=name).fetchall()[0][0]
            for name, _ in columns
        }
        unique = [name for name, _ in columns if distinct[name] == n_rows]
        entity = next((c for c in unique if _ID_NAME.search(c)), unique[0] if unique else None)
        numeric = [name for name, type_ in columns if name != entity and is_numeric_type(type_)]
        # the run's diagnostics (README, "Diagnostics"), each column measured raw and after log1p
        diagnosed = (
            diagnose_columns(con, "data", numeric, ["log1p"] * len(numeric)) if n_rows and numeric else ()
        )
    except SegsqlError as exc:
        raise SourceError(
            f"{datafile}: cannot read ({exc.reason if isinstance(exc, QueryError) else exc})"
        ) from None
    finally:
        con.close()
    if n_rows == 0:
        raise SourceError(f"{datafile}: the file has no rows")
    if entity is None:
        raise SourceError(f"{datafile}: no column has a unique value per row to use as the entity")
    if not numeric:
        raise SourceError(f"{datafile}: no numeric column to segment on besides {entity!r}")
    choices = _choices(diagnosed)
    if not choices.features:
        raise SourceError(
            f"{datafile}: every numeric column besides {entity!r} is constant: nothing to segment on"
        )
    target.write_text(_render(datafile, target, entity, choices), encoding="utf-8")
    return target


@dataclass(frozen=True)
class _Choices:
    """What init keeps, leaves out and transforms, each with the reason its comment gives."""

    features: list[str]
    left_out: dict[str, str]
    transforms: dict[str, str]


def _choices(diagnosed: tuple[FeatureDiagnosis, ...]) -> _Choices:
    """Leave out constant columns; propose log1p for heavy right skew on non-negative values
    (the run's warning, :data:`segsql.steps.diagnostics.SKEWED`) when it brings the skew down."""
    features, left_out, transforms = [], {}, {}
    for d in diagnosed:
        if d.constant:
            left_out[d.feature] = "constant (one value in every row): it cannot separate anyone"
            continue
        features.append(d.feature)
        after = d.skewness_transformed
        if d.skewed and d.non_negative and after is not None and abs(after) < abs(d.skewness or 0):
            transforms[d.feature] = (
                f"skewness {d.skewness:.1f} on non-negative values, {after:.1f} after log1p"
            )
    return _Choices(features=features, left_out=left_out, transforms=transforms)


def _comment(text: str) -> str:
    r"""``text`` made safe inside a TOML comment, which may hold no control character but tab.

    >>> _comment("a\nb\x7f.csv")
    'a\\x0ab\\x7f.csv'
    """
    return re.sub(r"[\x00-\x08\x0a-\x1f\x7f\ud800-\udfff]", lambda m: f"\\x{ord(m[0]):02x}", text)


def _render(datafile: Path, target: Path, entity: str, choices: _Choices) -> str:
    """The starter config: every value written by tomli-w, so any name reads back as it was."""
    name = re.sub(r"\W+", "_", datafile.stem).strip("_").lower() or "segments"
    try:
        relative = datafile.resolve().relative_to(target.resolve().parent)
    except ValueError:
        relative = datafile.resolve()
    path = relative.as_posix()
    if path.startswith("~"):  # a file called "~x.csv", not a home folder (config paths expand "~")
        path = "./" + path
    start = {"project": {"name": name, "database": name + ".duckdb"}, "sources": {"data": {"path": path}}}
    end = {
        "preprocess": {"scaling": "standard", "impute": "median"},
        "model": {"k": "auto", "k_range": [2, 10], "select": "silhouette", "random_state": 42},
        "output": {"dir": "out"},
    }
    # tomli-w writes no comments: the [features] table is written key by key, each choice
    # init made preceded by a comment line, every value and key still written by tomli-w
    features = "[features]\n" + tomli_w.dumps({"entity": entity, "sql": "SELECT * FROM data"})
    for column, why in choices.left_out.items():
        features += _comment(f"# left out of columns: {column!r} is {why}") + "\n"
    features += tomli_w.dumps({"columns": choices.features})
    if choices.transforms:
        features += "\n[features.transforms]\n"
        for column, why in choices.transforms.items():
            features += _comment(f"# {column!r}: {why}") + "\n" + tomli_w.dumps({column: "log1p"})
    head = (
        f"# segsql config written by `segsql init {_comment(datafile.name)}`.\n"
        f"# Edit it, then: segsql run {_comment(target.name)}\n"
        "# Every key is described in the segsql README.\n\n"
    )
    return head + tomli_w.dumps(start) + "\n" + features + "\n" + tomli_w.dumps(end)
