-- question: Do people with diabetes, heart failure, chronic kidney disease or a past cancer get the yearly follow-up recommended for their disease?
-- grain: one row per year × cohort × indicator (every combination present for every year)
-- params: none
-- definitions:
--   Years = the calendar years of the simulated period (first to last encounter start; the first and last may be
--     partial, which lowers their shares).
--   Cohorts of a year, among the people alive the whole year (death_date null or after 31 December):
--     type 2 diabetes (pathology diabetes_type2), heart failure (heart_failure), chronic kidney disease
--     (chronic_kidney_disease) with onset_date on or before 1 January; cancer survivors = a pathology of group
--     cancer (ref_pathologies) 2 to 5 years after its onset the whole year (onset from 1 January of year − 4 to 1 January
--     of year − 2): past the 2 years of active disease of the CNAM cartographie, under surveillance
--     (dmpdata/pathways/cancer_surveillance.toml).
--   Indicators (the activities of dmpdata/pathways/type2_diabetes.toml, heart_failure.toml,
--     chronic_kidney_disease.toml and cancer_surveillance.toml; observations count whether or not their lab report
--     reached the DMP; a lab test = a distinct encounter with one of the LOINC codes):
--     diabetes: fundus_exam_2y = an encounter with an ophthalmologist (specialty SM38) that year or the year before;
--       creatinine = LOINC 14682-9 that year; albuminuria = LOINC 32294-1 that year (as diabetes_follow_up_indicators).
--     heart failure: cardiologist = an encounter (consultation or stay) with a cardiologist (SM04) that year;
--       renal_electrolytes_2 = 2 or more lab tests of creatinine 14682-9, eGFR 62238-1, potassium 2823-3 or sodium
--       2951-2 that year (HAS: every 3 to 6 months).
--     chronic kidney disease: creatinine_egfr = LOINC 14682-9 or 62238-1 that year; urine_albumin = 32294-1 that year.
--     cancer survivors: specialist_or_imaging = an imaging encounter, or a specialist consultation with an
--       oncologist (SM35-SM37), radiotherapist (SM45, SM55), haematologist (SM21-SM23), gastro-enterologist (SM24),
--       pneumologist (SM41), gynaecologist (SM19, SM20, SM51, SM52), urologist (SM12) or digestive surgeon (SM14)
--       that year.
-- columns:
--   year              calendar year
--   cohort            diabetes_type2, heart_failure, chronic_kidney_disease or cancer_survivors
--   indicator         the indicator's id (see definitions)
--   indicator_order   1.. within the cohort, to sort the indicators
--   label             what the indicator measures, in words
--   patients          people of the cohort that year
--   with_indicator    of whom with the follow-up
--   share             with_indicator / patients
WITH years AS (
    SELECT unnest(range(year(min(start_at)), year(max(start_at)) + 1)) AS year  -- year() of two values, not of every row
    FROM encounters
),
indicators(cohort, indicator_order, indicator, label) AS (
    VALUES
        ('diabetes_type2', 1, 'fundus_exam_2y', 'Fundus exam (ophthalmologist) that year or the year before'),
        ('diabetes_type2', 2, 'creatinine', 'Creatinine test that year'),
        ('diabetes_type2', 3, 'albuminuria', 'Urine albumin test that year'),
        ('heart_failure', 1, 'cardiologist', 'Cardiologist seen that year (consultation or stay)'),
        ('heart_failure', 2, 'renal_electrolytes_2', '2 or more renal function / electrolyte tests that year'),
        ('chronic_kidney_disease', 1, 'creatinine_egfr', 'Creatinine or eGFR test that year'),
        ('chronic_kidney_disease', 2, 'urine_albumin', 'Urine albumin test that year'),
        ('cancer_survivors', 1, 'specialist_or_imaging', 'Specialist or imaging follow-up that year')
),
cohorts AS (
    SELECT DISTINCT
        CAST(y.year AS INTEGER) AS year,
        c.patient_id,
        CASE WHEN r."group" = 'cancer' THEN 'cancer_survivors' ELSE r.pathology END AS cohort
    FROM conditions AS c
    JOIN ref_pathologies AS r ON r.pathology = CAST(c.pathology AS VARCHAR)
    JOIN patients AS p ON p.patient_id = c.patient_id
    JOIN years AS y
      ON (r.pathology IN ('diabetes_type2', 'heart_failure', 'chronic_kidney_disease')
          AND c.onset_date <= make_date(CAST(y.year AS INTEGER), 1, 1))
      OR (r."group" = 'cancer'
          AND c.onset_date BETWEEN make_date(CAST(y.year AS INTEGER) - 4, 1, 1) AND make_date(CAST(y.year AS INTEGER) - 2, 1, 1))
    WHERE p.death_date IS NULL OR p.death_date > make_date(CAST(y.year AS INTEGER), 12, 31)
),
followed AS (  -- derived table chronic_follow_up_years: the cohorts' follow-up encounters and tests, per year
    SELECT * FROM chronic_follow_up_years
),
flags AS (
    SELECT
        c.year,
        c.cohort,
        coalesce(f.ophthalmologist, false) OR coalesce(before.ophthalmologist, false) AS fundus_exam_2y,
        coalesce(f.creatinine, false) AS creatinine,
        coalesce(f.albumin, false) AS albuminuria,
        coalesce(f.cardiologist, false) AS cardiologist,
        coalesce(f.renal_electrolyte_tests, 0) >= 2 AS renal_electrolytes_2,
        coalesce(f.creatinine_egfr, false) AS creatinine_egfr,
        coalesce(f.albumin, false) AS urine_albumin,
        coalesce(f.cancer_follow_up, false) AS specialist_or_imaging
    FROM cohorts AS c
    LEFT JOIN followed AS f ON f.patient_id = c.patient_id AND f.year = c.year
    LEFT JOIN followed AS before ON before.patient_id = c.patient_id AND before.year = c.year - 1
),
long AS (
    UNPIVOT flags
    ON fundus_exam_2y, creatinine, albuminuria, cardiologist, renal_electrolytes_2, creatinine_egfr, urine_albumin,
       specialist_or_imaging
    INTO NAME indicator VALUE met
),
counted AS (  -- each cohort keeps its own indicators
    SELECT l.year, l.cohort, l.indicator, count(*) AS patients, count(*) FILTER (WHERE l.met) AS with_indicator
    FROM long AS l
    JOIN indicators AS i ON i.cohort = l.cohort AND i.indicator = l.indicator
    GROUP BY ALL
)
SELECT
    CAST(y.year AS INTEGER) AS year,
    i.cohort,
    i.indicator,
    CAST(i.indicator_order AS INTEGER) AS indicator_order,
    i.label,
    CAST(coalesce(c.patients, 0) AS BIGINT) AS patients,
    CAST(coalesce(c.with_indicator, 0) AS BIGINT) AS with_indicator,
    CAST(c.with_indicator / nullif(c.patients, 0) AS DOUBLE) AS share
FROM years AS y
CROSS JOIN indicators AS i
LEFT JOIN counted AS c ON c.year = y.year AND c.cohort = i.cohort AND c.indicator = i.indicator
ORDER BY y.year, i.cohort, i.indicator_order
