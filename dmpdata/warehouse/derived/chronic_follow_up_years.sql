-- grain: one row per (patient_id, year) in which a patient with a pathology followed by the analysis
--   follow_up_indicators_by_group (conditions.pathology diabetes_type2, heart_failure or chronic_kidney_disease, or a
--   pathology of ref_pathologies group cancer; whatever its onset date) had a follow-up encounter or test.
-- reads: conditions, ref_pathologies, encounters, professionals, observations
-- columns:
--   patient_id                the patient
--   year                      INTEGER, year of encounters.start_at or observations.effective_at
--   ophthalmologist           an encounter with an ophthalmologist (professionals.specialty_code SM38) that year
--   cardiologist              an encounter with a cardiologist (SM04), consultation or stay
--   cancer_follow_up          an imaging encounter, or a specialist consultation with an oncologist (SM35-SM37),
--     radiotherapist (SM45, SM55), haematologist (SM21-SM23), gastro-enterologist (SM24), pneumologist (SM41),
--     gynaecologist (SM19, SM20, SM51, SM52), urologist (SM12) or digestive surgeon (SM14)
--   creatinine                an observation of creatinine (LOINC 14682-9)
--   creatinine_egfr           an observation of creatinine or eGFR (14682-9, 62238-1)
--   albumin                   an observation of urine albumin (32294-1)
--   renal_electrolyte_tests   distinct encounters with creatinine, eGFR, potassium or sodium (14682-9, 62238-1,
--     2823-3, 2951-2)
CREATE OR REPLACE TABLE chronic_follow_up_years AS
WITH followed AS (
    SELECT DISTINCT c.patient_id
    FROM conditions AS c
    JOIN ref_pathologies AS r ON r.pathology = CAST(c.pathology AS VARCHAR)
    WHERE r.pathology IN ('diabetes_type2', 'heart_failure', 'chronic_kidney_disease') OR r."group" = 'cancer'
),
specialists AS (
    SELECT professional_id, CAST(specialty_code AS VARCHAR) AS specialty
    FROM professionals
    WHERE specialty_code IN ('SM04', 'SM38', 'SM35', 'SM36', 'SM37', 'SM45', 'SM55', 'SM21', 'SM22', 'SM23', 'SM24',
                             'SM41', 'SM19', 'SM20', 'SM51', 'SM52', 'SM12', 'SM14')
),
visits AS (
    SELECT
        e.patient_id,
        CAST(year(e.start_at) AS INTEGER) AS year,
        coalesce(bool_or(s.specialty = 'SM38'), false) AS ophthalmologist,
        coalesce(bool_or(s.specialty = 'SM04'), false) AS cardiologist,
        coalesce(bool_or(e.kind = 'imaging' OR (e.kind = 'specialist_visit' AND s.specialty NOT IN ('SM04', 'SM38'))), false)
            AS cancer_follow_up
    FROM encounters AS e
    LEFT JOIN specialists AS s ON s.professional_id = e.professional_id
    WHERE (s.professional_id IS NOT NULL OR e.kind = 'imaging')
      AND e.patient_id IN (SELECT patient_id FROM followed)
    GROUP BY ALL
),
labs AS (
    SELECT
        o.patient_id,
        CAST(year(o.effective_at) AS INTEGER) AS year,
        bool_or(o.loinc_code = '14682-9') AS creatinine,
        bool_or(o.loinc_code IN ('14682-9', '62238-1')) AS creatinine_egfr,
        bool_or(o.loinc_code = '32294-1') AS albumin,
        count(DISTINCT o.encounter_id) FILTER (WHERE o.loinc_code IN ('14682-9', '62238-1', '2823-3', '2951-2'))
            AS renal_electrolyte_tests
    FROM observations AS o
    WHERE o.loinc_code IN ('14682-9', '62238-1', '2823-3', '2951-2', '32294-1')
      AND o.patient_id IN (SELECT patient_id FROM followed)
    GROUP BY ALL
)
SELECT
    coalesce(v.patient_id, l.patient_id) AS patient_id,
    coalesce(v.year, l.year) AS year,
    coalesce(v.ophthalmologist, false) AS ophthalmologist,
    coalesce(v.cardiologist, false) AS cardiologist,
    coalesce(v.cancer_follow_up, false) AS cancer_follow_up,
    coalesce(l.creatinine, false) AS creatinine,
    coalesce(l.creatinine_egfr, false) AS creatinine_egfr,
    coalesce(l.albumin, false) AS albumin,
    coalesce(l.renal_electrolyte_tests, 0) AS renal_electrolyte_tests
FROM visits AS v
FULL JOIN labs AS l ON l.patient_id = v.patient_id AND l.year = v.year;
