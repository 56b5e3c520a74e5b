"""Scoring and export: a saved run's model applied to new rows.

``saved`` reads a run's model back from the output tables; ``replay`` builds
the one SQL query that applies its preprocessing and finds the nearest
centroid; ``score`` (``segsql score``), ``macro`` (the ``assign`` table macro)
and ``export`` (``segsql export-sql``) render that query for their place.
"""
