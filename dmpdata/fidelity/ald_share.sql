-- metric: share of the people alive at the period's start exonerated under an ALD that day: at least one condition
-- with ald true and ald_start_date on or before the period's start
-- value: share; n: people alive at the period's start
WITH m AS (SELECT period_start AS ps FROM dmpdata_meta),
alive AS (
    SELECT p.patient_id FROM patients p, m WHERE p.birth_date <= m.ps AND (p.death_date IS NULL OR p.death_date > m.ps)
),
exonerated AS (
    SELECT DISTINCT c.patient_id FROM conditions c, m WHERE c.ald AND c.ald_start_date <= m.ps
)
SELECT avg((e.patient_id IS NOT NULL)::INT)::DOUBLE AS value, count(*)::DOUBLE AS n
FROM alive a LEFT JOIN exonerated e USING (patient_id)
