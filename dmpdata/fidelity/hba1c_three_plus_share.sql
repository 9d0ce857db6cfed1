-- metric: share of type 2 diabetics (onset before the year, alive all year) with 3 or more HbA1c results in year $year
-- value: share; n: diabetics
WITH cohort AS (
    SELECT c.patient_id FROM conditions c JOIN patients p USING (patient_id)
    WHERE c.condition_code = 'E11' AND c.onset_date < make_date($year, 1, 1)
      AND (p.death_date IS NULL OR p.death_date > make_date($year, 12, 31))
),
tests AS (
    SELECT patient_id, count(*) AS n FROM observations
    WHERE loinc_code = '4548-4' AND year(effective_at) = $year GROUP BY ALL
)
SELECT avg((coalesce(t.n, 0) >= 3)::INT)::DOUBLE AS value, count(*)::DOUBLE AS n
FROM cohort LEFT JOIN tests t USING (patient_id)
