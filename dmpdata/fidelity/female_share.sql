-- metric: share of women among the people living at the period's start (born before it)
-- value: share; n: people
SELECT avg((sex = 'F')::INT)::DOUBLE AS value, count(*)::DOUBLE AS n
FROM patients, dmpdata_meta WHERE birth_date < period_start
