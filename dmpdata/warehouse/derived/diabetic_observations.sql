-- grain: one row per observation of LOINC 4548-4 (HbA1c), 14682-9 (creatinine) or 32294-1 (albuminuria) of a
--   patient with a type 2 diabetes condition (conditions.condition_code 'E11', whatever its onset date).
-- reads: conditions, observations
-- columns:
--   observation_id   observations.observation_id
--   patient_id       observations.patient_id
--   encounter_id     observations.encounter_id
--   effective_at     observations.effective_at
--   loinc_code       observations.loinc_code
--   value            observations.value
CREATE OR REPLACE TABLE diabetic_observations AS
SELECT o.observation_id, o.patient_id, o.encounter_id, o.effective_at, o.loinc_code, o.value
FROM observations AS o
WHERE o.loinc_code IN ('4548-4', '14682-9', '32294-1')
  AND o.patient_id IN (SELECT patient_id FROM conditions WHERE condition_code = 'E11');
