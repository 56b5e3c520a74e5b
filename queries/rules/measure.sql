-- segsql: each segment's rule measured over every labelled row (not the tree's sample).
-- inputs:     segsql_features; segsql_labels (segsql_entity, segment);
--             segsql_rules_in(segment, rule_sql) from segsql.steps.rules;
--             {{ sqlglot: predicted }}, the rules as one CASE (rule of segment s THEN s): the
--             rules of two segments never hold for one row (each is a set of the tree's leaves),
--             so the CASE gives each row the one segment whose rule catches it, or NULL
-- output:     TEMP TABLE segsql_segment_rules(segment, rule_sql, fidelity, precision):
--             fidelity = share of the segment's members its rule catches, precision = share of
--             the rows its rule catches that are members (NULL when it catches none)
CREATE OR REPLACE TEMP TABLE segsql_segment_rules AS
WITH predicted AS (
    SELECT segsql_entity, {{ sqlglot: predicted }} AS predicted
    FROM segsql_features
), counts AS (
    SELECT l.segment, p.predicted, count(*) AS n
    FROM segsql_labels AS l
    JOIN predicted AS p USING (segsql_entity)
    GROUP BY ALL
)
SELECT r.segment, r.rule_sql,
       CAST(coalesce(sum(c.n) FILTER (WHERE c.segment = r.segment AND c.predicted = r.segment), 0)
            AS DOUBLE) / sum(c.n) FILTER (WHERE c.segment = r.segment) AS fidelity,
       CAST(coalesce(sum(c.n) FILTER (WHERE c.segment = r.segment AND c.predicted = r.segment), 0)
            AS DOUBLE) / sum(c.n) FILTER (WHERE c.predicted = r.segment) AS precision
FROM segsql_rules_in AS r
CROSS JOIN counts AS c
GROUP BY r.segment, r.rule_sql
ORDER BY r.segment
