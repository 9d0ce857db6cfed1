-- metric: share of notified people who opposed the creation of their Mon espace santé
-- value: share; n: notified people
SELECT avg((mes_status = 'opposed')::INT)::DOUBLE AS value, count(*)::DOUBLE AS n
FROM patients WHERE mes_notified_at IS NOT NULL
