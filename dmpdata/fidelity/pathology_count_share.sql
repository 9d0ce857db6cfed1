-- metric: share of the people alive at the period's start aged $age_min to $age_max that day (full years) with $k or
-- more distinct pathologies (conditions.pathology) of onset on or before it
-- value: share; n: people of the age band alive at the period's start
WITH m AS (SELECT period_start AS ps FROM dmpdata_meta),
band AS (
    SELECT p.patient_id FROM patients p, m
    WHERE p.birth_date <= m.ps AND (p.death_date IS NULL OR p.death_date > m.ps)
      AND datesub('year', p.birth_date, m.ps) BETWEEN CAST($age_min AS INTEGER) AND CAST($age_max AS INTEGER)
),
counted AS (
    SELECT c.patient_id, count(DISTINCT c.pathology) AS pathologies FROM conditions c, m
    WHERE c.onset_date <= m.ps GROUP BY c.patient_id
)
SELECT avg((coalesce(c.pathologies, 0) >= CAST($k AS INTEGER))::INT)::DOUBLE AS value, count(*)::DOUBLE AS n
FROM band b LEFT JOIN counted c USING (patient_id)
