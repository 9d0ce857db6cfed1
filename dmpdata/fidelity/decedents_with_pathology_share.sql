-- metric: share of the people who died in the period with at least one condition whose onset_date is on or before
-- their death
-- value: share; n: deaths in the period
WITH m AS (SELECT period_start AS ps, period_end AS pe FROM dmpdata_meta),
deaths AS (
    SELECT p.patient_id, p.death_date FROM patients p, m WHERE p.death_date BETWEEN m.ps AND m.pe
),
with_condition AS (
    SELECT DISTINCT d.patient_id FROM deaths d JOIN conditions c ON c.patient_id = d.patient_id
    WHERE c.onset_date <= d.death_date
)
SELECT avg((w.patient_id IS NOT NULL)::INT)::DOUBLE AS value, count(*)::DOUBLE AS n
FROM deaths d LEFT JOIN with_condition w USING (patient_id)
