"""A config over a frame of one row per entity, for tests that build their data in pandas."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd


def frame_config(
    tmp: Path, frame: pd.DataFrame, *, name: str, features: str = "", sections: str = ""
) -> Path:
    """Write ``frame`` as ``rows.parquet`` and a config over it in ``tmp``; return the config's path.

    The entity is ``id`` and the feature query ``SELECT * FROM rows``; ``features``
    adds keys to ``[features]`` and ``sections`` adds whole sections. The report is off.
    """
    frame.to_parquet(tmp / "rows.parquet", index=False)
    config = tmp / "segsql.toml"
    config.write_text(
        f"""
[project]
name = {json.dumps(name)}
database = {json.dumps(str(tmp / "run.duckdb"))}

[sources.rows]
path = {json.dumps(str(tmp / "rows.parquet"))}

[features]
sql = "SELECT * FROM rows"
entity = "id"
{features}

[output]
report = false

{sections}"""
    )
    return config
