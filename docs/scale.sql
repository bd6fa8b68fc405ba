-- Redline's Parquet tables in DuckDB (schemas settlements/1 and operations/1: docs/scale.md).
-- DIR is the folder `redline export --format parquet -o DIR` wrote. The same SQL runs on
-- Spark SQL or BigQuery over the same files, with their own file-reading syntax.
-- Checked by crates/redline-cli/tests/cli.rs `duckdb_counts_equal_redlines` (scripts/test).

-- 1. Per agent: settlements, mean acceptance, and the share accepted (acceptance >= 0.7,
--    Redline's default threshold).
SELECT agent,
       count(*) AS settlements,
       avg(acceptance) AS mean_acceptance,
       avg(CASE WHEN acceptance >= 0.7 THEN 1.0 ELSE 0.0 END) AS accepted_share
FROM read_parquet('DIR/settlements.parquet')
GROUP BY agent
ORDER BY agent;

-- 2. Per agent: deletions (a moved sentence's two halves left out) and the settlements with
--    at least one.
SELECT agent,
       count(*) AS deletions,
       count(DISTINCT settlement_id) AS settlements_with_a_deletion
FROM read_parquet('DIR/operations.parquet')
WHERE kind = 'delete' AND NOT moved
GROUP BY agent
ORDER BY agent;

-- 3. Per agent: the ten texts deleted whole in the most settlements.
SELECT agent, lower(trim(old_text)) AS deleted, count(DISTINCT settlement_id) AS settlements
FROM read_parquet('DIR/operations.parquet')
WHERE kind = 'delete' AND NOT moved
GROUP BY agent, deleted
QUALIFY row_number() OVER (PARTITION BY agent ORDER BY count(DISTINCT settlement_id) DESC, deleted) <= 10
ORDER BY agent, settlements DESC, deleted;

-- 4. Per agent (and all agents): for each deleted phrase Redline lists (PATTERNS is the file
--    `redline patterns --json` wrote), the settlements in which people took it out, counted
--    from the operations alone beside Redline's own count (`hits`). A phrase is taken out of
--    a settlement when its words, lower-cased, lie in a row inside the text one deletion or
--    replacement removed (words: runs of letters and digits, an apostrophe inside a word kept).
--    Needs tables written with --no-redact: redaction changes the texts.
WITH listed AS (
    SELECT a.agent AS agent,
           unnest(a.deleted).text AS phrase,
           unnest(a.deleted).hits AS redline_hits
    FROM (SELECT unnest(agents) AS a
          FROM read_json_auto('PATTERNS', maximum_object_size = 1000000000))
),
taken AS (
    SELECT agent, settlement_id,
           ' ' || regexp_replace(regexp_replace(lower(old_text), '[^\pL\pN'']+', ' ', 'g'),
                                 '(^| )''+|''+( |$)', '\1\2', 'g') || ' ' AS words
    FROM read_parquet('DIR/operations.parquet')
    WHERE kind IN ('delete', 'replace') AND NOT moved
)
SELECT l.agent, l.phrase, l.redline_hits, count(DISTINCT t.settlement_id) AS settlements
FROM listed l
LEFT JOIN taken t
       ON (t.agent = l.agent OR l.agent = 'All agents')
      AND contains(t.words, ' ' || l.phrase || ' ')
GROUP BY ALL
ORDER BY l.agent, settlements DESC, l.phrase;
