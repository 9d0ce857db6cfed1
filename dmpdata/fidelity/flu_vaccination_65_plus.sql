-- metric: share of people aged 65+ (at the campaign's start, alive through it) vaccinated during the flu campaign
--         starting on $from and ending before $to
-- value: share; n: people aged 65+
WITH people AS (
    SELECT patient_id FROM patients
    WHERE birth_date <= CAST($from AS DATE) - INTERVAL 65 YEAR
      AND (death_date IS NULL OR death_date >= CAST($to AS DATE))
),
shots AS (
    SELECT DISTINCT patient_id FROM encounters
    WHERE kind = 'vaccination' AND start_at >= CAST($from AS TIMESTAMP) AND start_at < CAST($to AS TIMESTAMP)
)
SELECT avg((s.patient_id IS NOT NULL)::INT)::DOUBLE AS value, count(*)::DOUBLE AS n
FROM people LEFT JOIN shots s USING (patient_id)
