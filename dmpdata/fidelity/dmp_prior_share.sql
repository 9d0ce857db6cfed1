-- metric: share of the people alive at $at whose DMP, opened before Mon espace santé, was open then
-- value: share; n: people alive at $at
SELECT avg(coalesce(dmp_opened_at <= CAST($at AS DATE), false)::INT)::DOUBLE AS value,
       count(*)::DOUBLE AS n
FROM patients
WHERE birth_date <= CAST($at AS DATE) AND (death_date IS NULL OR death_date > CAST($at AS DATE))
