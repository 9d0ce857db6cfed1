-- question: Do type 2 diabetics get the follow-up HAS recommends (fundus exam, creatinine, albuminuria) and is their HbA1c controlled?
-- grain: one row per calendar year of the simulated period
-- params: none
-- definitions:
--   Type 2 diabetics of a year: as in hba1c_tests_per_year (E11 with onset on or before 1 January, alive all year).
--   Fundus exam within 2 years = an encounter with a professional of specialty SM38 (ophthalmology) starting in
--     that year or the year before (HAS: every year, every 2 years when the eye and diabetes are stable).
--   Yearly creatinine = an observation LOINC 14682-9 that year; yearly albuminuria = LOINC 32294-1 that year.
--   HbA1c controlled = the last HbA1c (LOINC 4548-4) of the year is below 7 % — the HAS target for most type 2
--     diabetics (individual targets range from 6.5 % to 8-9 %); the share is over diabetics with at least one
--     HbA1c that year.
--   Observations count whether or not their lab report reached the DMP.
-- columns:
--   year                       calendar year
--   diabetics                  type 2 diabetics of the year
--   with_fundus_exam_2y        of whom with an ophthalmology encounter that year or the year before
--   with_creatinine            of whom with a creatinine result that year
--   with_albuminuria           of whom with a urine albumin result that year
--   with_hba1c                 of whom with at least one HbA1c that year
--   hba1c_controlled           of whom the last HbA1c of the year is < 7 %
--   share_fundus_exam_2y       with_fundus_exam_2y / diabetics
--   share_creatinine           with_creatinine / diabetics
--   share_albuminuria          with_albuminuria / diabetics
--   share_hba1c_controlled     hba1c_controlled / with_hba1c
WITH years AS (
    SELECT unnest(range(year(min(start_at)), year(max(start_at)) + 1)) AS year  -- year() of two values, not of every row
    FROM encounters
),
diabetics AS (
    SELECT y.year, c.patient_id
    FROM years AS y
    JOIN conditions AS c ON c.condition_code = 'E11' AND c.onset_date <= make_date(CAST(y.year AS INTEGER), 1, 1)
    JOIN patients AS p ON p.patient_id = c.patient_id
    WHERE p.death_date IS NULL OR p.death_date > make_date(CAST(y.year AS INTEGER), 12, 31)
),
fundus AS (  -- derived table diabetic_eye_exam_years: ophthalmology encounters of type 2 diabetics, per year
    SELECT patient_id, year FROM diabetic_eye_exam_years
),
labs AS (  -- derived table diabetic_observations: those three tests of type 2 diabetics
    SELECT
        o.patient_id,
        year(o.effective_at) AS year,
        bool_or(o.loinc_code = '14682-9') AS creatinine,
        bool_or(o.loinc_code = '32294-1') AS albuminuria,
        arg_max(o.value, o.effective_at) FILTER (WHERE o.loinc_code = '4548-4') AS last_hba1c
    FROM diabetic_observations AS o
    GROUP BY ALL
),
per_patient AS (
    SELECT
        d.year,
        d.patient_id,
        EXISTS (
            SELECT 1 FROM fundus AS f
            WHERE f.patient_id = d.patient_id AND f.year IN (d.year, d.year - 1)
        ) AS fundus_2y,
        coalesce(l.creatinine, false) AS creatinine,
        coalesce(l.albuminuria, false) AS albuminuria,
        l.last_hba1c
    FROM diabetics AS d
    LEFT JOIN labs AS l ON l.patient_id = d.patient_id AND l.year = d.year
),
counted AS (
    SELECT
        year,
        count(*) AS diabetics,
        count(*) FILTER (WHERE fundus_2y) AS with_fundus_exam_2y,
        count(*) FILTER (WHERE creatinine) AS with_creatinine,
        count(*) FILTER (WHERE albuminuria) AS with_albuminuria,
        count(last_hba1c) AS with_hba1c,
        count(*) FILTER (WHERE last_hba1c < 7) AS hba1c_controlled
    FROM per_patient
    GROUP BY year
)
SELECT
    CAST(y.year AS INTEGER) AS year,
    CAST(coalesce(c.diabetics, 0) AS BIGINT) AS diabetics,
    CAST(coalesce(c.with_fundus_exam_2y, 0) AS BIGINT) AS with_fundus_exam_2y,
    CAST(coalesce(c.with_creatinine, 0) AS BIGINT) AS with_creatinine,
    CAST(coalesce(c.with_albuminuria, 0) AS BIGINT) AS with_albuminuria,
    CAST(coalesce(c.with_hba1c, 0) AS BIGINT) AS with_hba1c,
    CAST(coalesce(c.hba1c_controlled, 0) AS BIGINT) AS hba1c_controlled,
    CAST(c.with_fundus_exam_2y / nullif(c.diabetics, 0) AS DOUBLE) AS share_fundus_exam_2y,
    CAST(c.with_creatinine / nullif(c.diabetics, 0) AS DOUBLE) AS share_creatinine,
    CAST(c.with_albuminuria / nullif(c.diabetics, 0) AS DOUBLE) AS share_albuminuria,
    CAST(c.hba1c_controlled / nullif(c.with_hba1c, 0) AS DOUBLE) AS share_hba1c_controlled
FROM years AS y
LEFT JOIN counted AS c ON c.year = y.year
ORDER BY y.year
