-- grain: one row per (year, action, access_mode, outcome, on_assumed_cell) of access events (every event counts once).
-- reads: access_events, documents, professionals, ref_access_matrix
-- columns:
--   year             INTEGER, year of access_events.occurred_at
--   action           access_events.action
--   access_mode      access_events.access_mode (null for the actions that have none)
--   outcome          access_events.outcome
--   on_assumed_cell  true for a denied_matrix consultation whose access-matrix cell (the reader's profession ×
--                    the document's type) has evidence 'assumption', or is absent from the matrix (absent counts
--                    as not allowed, a modelling choice); false for every other event
--   events           access events
CREATE OR REPLACE TABLE access_counts AS
WITH assumed AS (  -- the denied_matrix consultations that rest on an assumed cell of ref_access_matrix
    SELECT e.event_id
    FROM access_events AS e
    JOIN documents AS d ON d.document_id = e.document_id
    JOIN professionals AS p ON p.professional_id = e.actor_professional_id
    LEFT JOIN ref_access_matrix AS m ON m.profession_code = p.profession_code AND m.type_code = d.type_code
    WHERE e.outcome = 'denied_matrix' AND coalesce(m.evidence, 'assumption') = 'assumption'
)
SELECT
    CAST(year(e.occurred_at) AS INTEGER)                             AS year,
    e.action,
    e.access_mode,
    e.outcome,
    a.event_id IS NOT NULL                                           AS on_assumed_cell,
    count(*)                                                         AS events
FROM access_events AS e
LEFT JOIN assumed AS a ON a.event_id = e.event_id
GROUP BY ALL;
