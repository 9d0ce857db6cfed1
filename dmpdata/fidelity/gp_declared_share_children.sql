-- metric: share of children under 16 at the period's start (born before it) with a médecin traitant declaration in
-- force that day (declared by their parents, L.162-5-3 CSS)
-- value: share; n: children under 16
SELECT avg((d.patient_id IS NOT NULL)::INT)::DOUBLE AS value, count(*)::DOUBLE AS n
FROM patients p
CROSS JOIN dmpdata_meta m
LEFT JOIN (
    SELECT DISTINCT g.patient_id
    FROM gp_declarations g, dmpdata_meta mm
    WHERE g.declared_from <= mm.period_start AND (g.declared_until IS NULL OR g.declared_until >= mm.period_start)
) d ON d.patient_id = p.patient_id
WHERE p.birth_date > m.period_start - INTERVAL 16 YEAR AND p.birth_date < m.period_start
