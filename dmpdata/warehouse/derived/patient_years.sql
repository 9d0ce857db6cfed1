-- grain: one row per (patient_id, year) with at least one encounter of the patient starting that year
--   (encounters.patient_id; the patient may be missing from patients).
-- reads: encounters, professionals
-- columns:
--   patient_id      encounters.patient_id
--   year            INTEGER, year of encounters.start_at
--   encounters      the patient's encounters starting that year
--   professionals   distinct professionals (present in professionals) who carried out those encounters
--     (encounters.professional_id), 0 when none is known
--   multi_sector    those professionals belong to 2 or more care sectors (professionals.sector)
CREATE OR REPLACE TABLE patient_years AS
SELECT
    e.patient_id,
    CAST(year(e.start_at) AS INTEGER)                                AS year,
    count(*)                                                         AS encounters,
    CAST(len(list_distinct(list(p.professional_id))) AS BIGINT)      AS professionals,
    coalesce(min(p.sector) <> max(p.sector), false)                  AS multi_sector
FROM encounters AS e
LEFT JOIN professionals AS p ON p.professional_id = e.professional_id
WHERE e.patient_id >= $lo AND e.patient_id < $hi
GROUP BY ALL;
