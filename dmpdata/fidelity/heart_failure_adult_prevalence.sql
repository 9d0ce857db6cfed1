-- metric: share of the adults (18+ at the period's start) alive that day with heart failure (pathology heart_failure)
-- whose onset_date is on or before that day
-- value: share; n: adults alive at the period's start
WITH m AS (SELECT period_start AS ps FROM dmpdata_meta),
adults AS (
    SELECT p.patient_id FROM patients p, m
    WHERE p.birth_date <= m.ps - INTERVAL 18 YEAR AND (p.death_date IS NULL OR p.death_date > m.ps)
),
cases AS (
    SELECT DISTINCT c.patient_id FROM conditions c, m WHERE c.pathology = 'heart_failure' AND c.onset_date <= m.ps
)
SELECT avg((c.patient_id IS NOT NULL)::INT)::DOUBLE AS value, count(*)::DOUBLE AS n
FROM adults a LEFT JOIN cases c USING (patient_id)
