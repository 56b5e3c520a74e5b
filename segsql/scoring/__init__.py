"""Scoring and export: a saved run's model applied to new rows.

``saved`` reads a run's model back from the output tables; ``replay`` builds
the one SQL query that applies its preprocessing and finds the nearest
centroid; ``score`` (``segsql score``), ``macro`` (the ``assign`` table macro)
and ``export`` (``segsql export-sql``) render that query for their place.
"""

from __future__ import annotations

from segsql.config import RESERVED_ENTITY_NAMES, SCORING_COLUMNS

__all__ = ["OUTPUT_COLUMNS", "RESERVED_ENTITY_NAMES"]

# the columns scoring returns after the entity's, in order (the entity comes first, under its
# own name); the config checks the entity against them, so they are named there
OUTPUT_COLUMNS = SCORING_COLUMNS
