-- metric: share of people aged 17 or more at the period's start with a médecin traitant
-- value: share; n: people aged 17+
SELECT avg((gp_professional_id IS NOT NULL)::INT)::DOUBLE AS value, count(*)::DOUBLE AS n
FROM patients, dmpdata_meta WHERE birth_date <= period_start - INTERVAL 17 YEAR
