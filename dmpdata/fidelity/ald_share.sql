-- metric: share of the people alive at the period's start exonerated under an ALD of the list (ald_number 1 to 30,
-- art. D.322-1 CSS; ALD 31 and 32 are not counted) held at some time in the period's first year, as the CNAM counts
-- it: at least one condition with ald true and ald_start_date before the first anniversary of the period's start
-- value: share; n: people alive at the period's start
WITH m AS (SELECT period_start AS ps FROM dmpdata_meta),
alive AS (
    SELECT p.patient_id FROM patients p, m WHERE p.birth_date <= m.ps AND (p.death_date IS NULL OR p.death_date > m.ps)
),
exonerated AS (
    SELECT DISTINCT c.patient_id FROM conditions c, m
    WHERE c.ald AND c.ald_number BETWEEN 1 AND 30 AND c.ald_start_date < m.ps + INTERVAL 1 YEAR
)
SELECT avg((e.patient_id IS NOT NULL)::INT)::DOUBLE AS value, count(*)::DOUBLE AS n
FROM alive a LEFT JOIN exonerated e USING (patient_id)
