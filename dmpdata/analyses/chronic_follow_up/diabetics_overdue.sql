-- question: Which type 2 diabetics are overdue for their HbA1c test on a given date (the decision-support cohort)?
-- grain: one row per overdue patient
-- params: $as_of DATE = 2026-07-01 ; $months INTEGER = 6
-- definitions:
--   Type 2 diabetic at $as_of = a conditions row E11 with onset_date on or before $as_of, alive at $as_of
--     (death_date null or after $as_of).
--   Overdue = the last HbA1c (observation LOINC 4548-4) taken before $as_of is older than $months months
--     (taken before $as_of − $months months), or there is none. HAS recommends an HbA1c every 3 months; 6 months
--     without one is a usual reminder threshold. Default $as_of = the day after the preset scenarios' period.
--   The list is ordered with patients without any HbA1c first, then by oldest last HbA1c.
-- columns:
--   patient_id                patients.patient_id
--   sex                       M or F
--   age                       age in full years at $as_of
--   residence_department      INSEE department of residence
--   gp_professional_id        médecin traitant (null when none): who should be reminded
--   diabetes_onset            onset_date of the E11 condition
--   last_hba1c_at             when the last HbA1c before $as_of was taken (null: never)
--   last_hba1c_value          its value in %
--   months_since_last_hba1c   full months between that test and $as_of (null: never)
--   dmp_open                  true when the patient's DMP is open at $as_of (a reminder can reach Mon espace santé)
WITH params AS (
    SELECT CAST($as_of AS DATE) AS as_of, CAST($months AS INTEGER) AS months
),
cohort AS (
    SELECT p.*, c.onset_date AS diabetes_onset, params.as_of, params.months
    FROM conditions AS c
    JOIN patients AS p ON p.patient_id = c.patient_id
    CROSS JOIN params
    WHERE c.condition_code = 'E11'
      AND c.onset_date <= params.as_of
      AND (p.death_date IS NULL OR p.death_date > params.as_of)
),
last_test AS (
    SELECT o.patient_id, max(o.effective_at) AS last_hba1c_at, arg_max(o.value, o.effective_at) AS last_hba1c_value
    FROM diabetic_observations AS o  -- derived table: the HbA1c results of type 2 diabetics among others
    CROSS JOIN params
    WHERE o.loinc_code = '4548-4'
      AND o.effective_at < CAST(params.as_of AS TIMESTAMP)
      AND o.patient_id IN (SELECT patient_id FROM cohort)
    GROUP BY o.patient_id
)
SELECT
    c.patient_id,
    CAST(c.sex AS VARCHAR) AS sex,
    CAST(datesub('year', c.birth_date, c.as_of) AS INTEGER) AS age,
    CAST(c.residence_department AS VARCHAR) AS residence_department,
    c.gp_professional_id,
    c.diabetes_onset,
    t.last_hba1c_at,
    t.last_hba1c_value,
    CAST(datesub('month', t.last_hba1c_at, CAST(c.as_of AS TIMESTAMP)) AS INTEGER) AS months_since_last_hba1c,
    coalesce(
        c.mes_created_at <= c.as_of AND (c.mes_closed_at IS NULL OR c.mes_closed_at > c.as_of), false
    ) AS dmp_open
FROM cohort AS c
LEFT JOIN last_test AS t ON t.patient_id = c.patient_id
WHERE t.last_hba1c_at IS NULL
   OR t.last_hba1c_at < c.as_of - to_months(c.months)
ORDER BY t.last_hba1c_at NULLS FIRST, c.patient_id
