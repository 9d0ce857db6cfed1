-- metric: share of people with type 2 diabetes (condition E11: pharmacologically treated)
-- value: share; n: people
SELECT (SELECT count(*) FROM conditions WHERE condition_code = 'E11')::DOUBLE / count(*) AS value, count(*)::DOUBLE AS n
FROM patients
