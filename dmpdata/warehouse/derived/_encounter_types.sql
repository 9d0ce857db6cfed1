-- grain: one row per (encounter_id, type_code) of the documents attached to an encounter (documents.encounter_id
--   not null, any version); a scratch table, dropped once the tables reading it are built.
-- reads: documents
-- columns:
--   patient_id      the document's patient (the same as the encounter's)
--   encounter_id    documents.encounter_id
--   type_code       documents.type_code
--   documents       documents of that type attached to that encounter (versions included)
CREATE OR REPLACE TEMP TABLE _encounter_types AS
SELECT patient_id, encounter_id, type_code, count(*) AS documents
FROM documents
WHERE encounter_id IS NOT NULL AND patient_id >= $lo AND patient_id < $hi
GROUP BY ALL;
