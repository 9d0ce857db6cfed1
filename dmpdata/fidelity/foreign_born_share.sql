-- metric: share of people born abroad (birthplace 99xxx)
-- value: share; n: people
SELECT avg((birth_place_code LIKE '99%')::INT)::DOUBLE AS value, count(*)::DOUBLE AS n FROM patients
