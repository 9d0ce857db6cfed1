-- metric: among the people alive at the period's start with diabetes that day (a pathology of group diabetes,
-- onset on or before it), the share with at least one cardio_neurovascular pathology of onset on or before it
-- value: share; n: diabetics alive at the period's start
WITH m AS (SELECT period_start AS ps FROM dmpdata_meta),
alive AS (
    SELECT p.patient_id FROM patients p, m WHERE p.birth_date <= m.ps AND (p.death_date IS NULL OR p.death_date > m.ps)
),
groups AS (
    SELECT DISTINCT c.patient_id, r."group" AS grp
    FROM conditions c JOIN ref_pathologies r ON r.pathology = CAST(c.pathology AS VARCHAR), m
    WHERE r."group" IN ('diabetes', 'cardio_neurovascular') AND c.onset_date <= m.ps
)
SELECT avg((cv.patient_id IS NOT NULL)::INT)::DOUBLE AS value, count(*)::DOUBLE AS n
FROM alive a
JOIN groups d ON d.patient_id = a.patient_id AND d.grp = 'diabetes'
LEFT JOIN groups cv ON cv.patient_id = a.patient_id AND cv.grp = 'cardio_neurovascular'
