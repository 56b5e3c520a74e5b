"""The run's steps, in the order :data:`segsql.pipeline.STEPS` runs them.

``features`` (the feature query, checked) → ``preprocess`` (impute, transform,
clip, scale, in SQL) → ``fit`` (the matrix and the model, by strategy:
in-memory or streamed) → ``profiles`` → ``naming`` (names, descriptions,
recommendations) → ``projection`` (the 2-D map) → ``writeback`` (everything
saved in one transaction). ``matrix`` is the one reader of scaled rows.
"""
