-- metric: share of people aged 17 or more at the period's start with a médecin traitant declaration in force that day
-- (gp_declarations: the CNAM figure is a stock at one date, so the changes made later in the period do not count)
-- value: share; n: people aged 17+
SELECT avg((d.patient_id IS NOT NULL)::INT)::DOUBLE AS value, count(*)::DOUBLE AS n
FROM patients p
CROSS JOIN dmpdata_meta m
LEFT JOIN (
    SELECT DISTINCT g.patient_id
    FROM gp_declarations g, dmpdata_meta mm
    WHERE g.declared_from <= mm.period_start AND (g.declared_until IS NULL OR g.declared_until >= mm.period_start)
) d ON d.patient_id = p.patient_id
WHERE p.birth_date <= m.period_start - INTERVAL 17 YEAR
