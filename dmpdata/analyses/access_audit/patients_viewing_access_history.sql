-- question: Do patients who activated Mon espace santé look at who accessed their DMP (the access history)?
-- grain: one row per calendar year of the simulated period
-- params: none
-- definitions:
--   Years = calendar years from the first to the last encounter start (the first and last may be partial).
--   Activated patients of a year = holders who activated their profile (mes_activated_at) on or before
--     31 December and whose profile was not closed before 1 January (mes_closed_at null or on/after it).
--   Viewing the access history = an access_events row with action = 'view_history' (the patient's list of who
--     accessed their DMP); viewing documents = action = 'view', for comparison.
-- columns:
--   year                          calendar year
--   activated_patients            patients with an activated profile during the year
--   patients_viewing_history      distinct patients who viewed their access history that year
--   view_history_events           view_history actions that year
--   share_viewing_history         patients_viewing_history / activated_patients
--   patients_viewing_documents    distinct patients who viewed at least one of their documents that year
--   share_viewing_documents       patients_viewing_documents / activated_patients
WITH years AS (
    SELECT unnest(range(year(min(start_at)), year(max(start_at)) + 1)) AS year  -- year() of two values, not of every row
    FROM encounters
),
activated AS (
    SELECT y.year, count(*) AS activated_patients
    FROM years AS y
    JOIN patients AS p
        ON p.mes_activated_at <= make_date(CAST(y.year AS INTEGER), 12, 31)
       AND (p.mes_closed_at IS NULL OR p.mes_closed_at >= make_date(CAST(y.year AS INTEGER), 1, 1))
    GROUP BY y.year
),
views AS (  -- derived table access_patient_years: one row per patient and year with such events
    SELECT
        year,
        count(*) FILTER (WHERE view_history_events > 0) AS patients_viewing_history,
        sum(view_history_events) AS view_history_events,
        count(*) FILTER (WHERE view_events > 0) AS patients_viewing_documents
    FROM access_patient_years
    WHERE view_history_events > 0 OR view_events > 0
    GROUP BY ALL
)
SELECT
    CAST(y.year AS INTEGER) AS year,
    CAST(coalesce(a.activated_patients, 0) AS BIGINT) AS activated_patients,
    CAST(coalesce(v.patients_viewing_history, 0) AS BIGINT) AS patients_viewing_history,
    CAST(coalesce(v.view_history_events, 0) AS BIGINT) AS view_history_events,
    CAST(coalesce(v.patients_viewing_history, 0) / nullif(a.activated_patients, 0) AS DOUBLE)
        AS share_viewing_history,
    CAST(coalesce(v.patients_viewing_documents, 0) AS BIGINT) AS patients_viewing_documents,
    CAST(coalesce(v.patients_viewing_documents, 0) / nullif(a.activated_patients, 0) AS DOUBLE)
        AS share_viewing_documents
FROM years AS y
LEFT JOIN activated AS a ON a.year = y.year
LEFT JOIN views AS v ON v.year = y.year
ORDER BY y.year
