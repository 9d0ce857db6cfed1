-- grain: one row per (patient_id, year) in which a patient with a type 2 diabetes condition (conditions
--   condition_code 'E11', whatever its onset date) had an encounter (encounters.start_at that year) with an
--   ophthalmologist (professionals.specialty_code 'SM38').
-- reads: conditions, encounters, professionals
-- columns:
--   patient_id   the patient
--   year         INTEGER, year of encounters.start_at
CREATE OR REPLACE TABLE diabetic_eye_exam_years AS
SELECT DISTINCT e.patient_id, CAST(year(e.start_at) AS INTEGER) AS year
FROM encounters AS e
WHERE e.professional_id IN (SELECT professional_id FROM professionals WHERE specialty_code = 'SM38')
  AND e.patient_id IN (SELECT patient_id FROM conditions WHERE condition_code = 'E11');
