-- metric: share of the people aged $age_min to $age_max (full years) at the period's start, born before it, with a
-- médecin traitant declaration in force that day (gp_declarations: the CNAM figure is a stock at one date, so the
-- changes made later in the period do not count; children's are declared by their parents, L.162-5-3 CSS)
-- value: share; n: people of the age band
SELECT avg((d.patient_id IS NOT NULL)::INT)::DOUBLE AS value, count(*)::DOUBLE AS n
FROM patients p
CROSS JOIN dmpdata_meta m
LEFT JOIN (
    SELECT DISTINCT g.patient_id
    FROM gp_declarations g, dmpdata_meta mm
    WHERE g.declared_from <= mm.period_start AND (g.declared_until IS NULL OR g.declared_until >= mm.period_start)
) d ON d.patient_id = p.patient_id
WHERE p.birth_date < m.period_start
  AND datesub('year', p.birth_date, m.period_start) BETWEEN CAST($age_min AS INTEGER) AND CAST($age_max AS INTEGER)
