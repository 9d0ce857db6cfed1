-- metric: share of the people alive at the period's start (born on or before it, no death by then) with pathology
-- $pathology (conditions.pathology, ids of ref_pathologies) whose onset_date is on or before that day
-- value: share; n: people alive at the period's start
WITH m AS (SELECT period_start AS ps FROM dmpdata_meta),
alive AS (
    SELECT p.patient_id FROM patients p, m WHERE p.birth_date <= m.ps AND (p.death_date IS NULL OR p.death_date > m.ps)
),
cases AS (
    SELECT DISTINCT c.patient_id FROM conditions c, m WHERE c.pathology = $pathology AND c.onset_date <= m.ps
)
SELECT avg((c.patient_id IS NOT NULL)::INT)::DOUBLE AS value, count(*)::DOUBLE AS n
FROM alive a LEFT JOIN cases c USING (patient_id)
