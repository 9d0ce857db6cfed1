-- grain: one row per (patient_id, year) in which the patient (access_events.patient_id) viewed documents
--   (action 'view'), viewed the history of accesses (action 'view_history') or had their DMP consulted in an
--   emergency (action 'consult', access_mode 'bris_de_glace' or 'centre_15', granted or denied).
-- reads: access_events
-- columns:
--   patient_id            access_events.patient_id
--   year                  INTEGER, year of occurred_at
--   view_events           'view' events that year (0 when none)
--   view_history_events   'view_history' events that year (0 when none)
--   emergency_consults    emergency consultations that year (0 when none)
CREATE OR REPLACE TABLE access_patient_years AS
SELECT
    patient_id,
    CAST(year(occurred_at) AS INTEGER)                               AS year,
    count(*) FILTER (WHERE action = 'view')                          AS view_events,
    count(*) FILTER (WHERE action = 'view_history')                  AS view_history_events,
    count(*) FILTER (WHERE action = 'consult')                       AS emergency_consults
FROM access_events
WHERE action IN ('view', 'view_history')
   OR (action = 'consult' AND access_mode IN ('bris_de_glace', 'centre_15'))
GROUP BY ALL;
