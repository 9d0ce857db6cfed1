-- metric: among the people alive at the period's start with a pathology of at least one of the groups diabetes,
-- cancer and cardio_neurovascular that day (onset on or before it), the share with pathologies of 2 or 3 of them
-- value: share; n: people alive at the period's start with at least one of the three groups
WITH m AS (SELECT period_start AS ps FROM dmpdata_meta),
alive AS (
    SELECT p.patient_id FROM patients p, m WHERE p.birth_date <= m.ps AND (p.death_date IS NULL OR p.death_date > m.ps)
),
groups AS (
    SELECT c.patient_id, count(DISTINCT r."group") AS n_groups
    FROM conditions c JOIN ref_pathologies r ON r.pathology = CAST(c.pathology AS VARCHAR), m
    WHERE r."group" IN ('diabetes', 'cancer', 'cardio_neurovascular') AND c.onset_date <= m.ps
    GROUP BY c.patient_id
)
SELECT avg((g.n_groups >= 2)::INT)::DOUBLE AS value, count(*)::DOUBLE AS n
FROM alive a JOIN groups g USING (patient_id)
