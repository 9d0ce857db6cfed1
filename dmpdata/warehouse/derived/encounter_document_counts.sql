-- grain: one row per (start_on, end_on, kind, activity, prescribes_drugs, type_code) of the encounters that have
--   at least one document (documents.encounter_id, any version) of type type_code; documents whose encounter_id
--   is not in encounters are left out.
-- reads: _encounter_types, encounters
-- columns:
--   start_on           DATE of encounters.start_at
--   end_on             DATE of encounters.end_at
--   kind               encounters.kind
--   activity           encounters.activity
--   prescribes_drugs   encounters.prescribes_drugs
--   type_code          documents.type_code
--   encounters         encounters with at least one document of that type
--   documents          documents of that type attached to those encounters (versions included)
CREATE OR REPLACE TEMP TABLE _encounter_document_counts AS
SELECT
    CAST(e.start_at AS DATE)                                         AS start_on,
    CAST(e.end_at AS DATE)                                           AS end_on,
    e.kind,
    e.activity,
    e.prescribes_drugs,
    t.type_code,
    count(*)                                                         AS encounters,
    CAST(sum(t.documents) AS BIGINT)                                 AS documents
FROM _encounter_types AS t
JOIN encounters AS e ON e.encounter_id = t.encounter_id
WHERE t.patient_id >= $lo AND t.patient_id < $hi AND e.patient_id >= $lo AND e.patient_id < $hi
GROUP BY ALL;

CREATE OR REPLACE TABLE encounter_document_counts AS
SELECT start_on, end_on, kind, activity, prescribes_drugs, type_code,
       CAST(sum(encounters) AS BIGINT) AS encounters, CAST(sum(documents) AS BIGINT) AS documents
FROM _encounter_document_counts
GROUP BY ALL;

DROP TABLE _encounter_document_counts;
