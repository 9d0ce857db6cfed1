-- grain: one row per (year, action, access_mode, outcome) of access events (every event counts once).
-- reads: access_events
-- columns:
--   year          INTEGER, year of access_events.occurred_at
--   action        access_events.action
--   access_mode   access_events.access_mode (null for the actions that have none)
--   outcome       access_events.outcome
--   events        access events
CREATE OR REPLACE TABLE access_counts AS
SELECT
    CAST(year(occurred_at) AS INTEGER)                               AS year,
    action,
    access_mode,
    outcome,
    count(*)                                                         AS events
FROM access_events
GROUP BY ALL;
