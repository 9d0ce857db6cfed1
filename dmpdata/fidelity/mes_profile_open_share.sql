-- metric: share of the people alive at $at who have an open Mon espace santé profile then
-- value: share; n: people alive at $at
SELECT avg(coalesce(mes_created_at <= CAST($at AS DATE) AND (mes_closed_at IS NULL OR mes_closed_at > CAST($at AS DATE)), false)::INT)::DOUBLE AS value,
       count(*)::DOUBLE AS n
FROM patients
WHERE birth_date <= CAST($at AS DATE) AND (death_date IS NULL OR death_date > CAST($at AS DATE))
