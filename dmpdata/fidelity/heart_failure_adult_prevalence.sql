-- metric: share of adults (18+ at the period's start) with heart failure (I50)
-- value: share; n: adults
WITH adults AS (
    SELECT p.patient_id FROM patients p, dmpdata_meta m WHERE p.birth_date <= m.period_start - INTERVAL 18 YEAR
)
SELECT avg((c.patient_id IS NOT NULL)::INT)::DOUBLE AS value, count(*)::DOUBLE AS n
FROM adults a LEFT JOIN conditions c ON c.patient_id = a.patient_id AND c.condition_code = 'I50'
