-- grain: one row per (start_on, end_on, kind, activity, prescribes_drugs, dmp_open) of encounters (every
--   encounter counts once).
-- reads: _encounter_types, encounters, patients
-- columns:
--   start_on                   DATE of encounters.start_at
--   end_on                     DATE of encounters.end_at
--   kind                       encounters.kind
--   activity                   encounters.activity
--   prescribes_drugs           encounters.prescribes_drugs
--   dmp_open                   the patient's DMP was open on end_on: opened (dmp_opened_at, the DMP of before
--     Mon espace santé, else mes_created_at) on or before end_on and not closed by then (mes_closed_at null or
--     after it); false when not, null when the patient is not in patients
--   encounters                 encounters
--   encounters_with_document   of which at least one document (any type, any version) has that encounter_id
--   documents                  documents attached to those encounters
CREATE OR REPLACE TEMP TABLE _encounter_counts AS
WITH docs AS (
    SELECT encounter_id, sum(documents) AS documents
    FROM _encounter_types
    WHERE patient_id >= $lo AND patient_id < $hi
    GROUP BY encounter_id
)
SELECT
    CAST(e.start_at AS DATE)                                         AS start_on,
    CAST(e.end_at AS DATE)                                           AS end_on,
    e.kind,
    e.activity,
    e.prescribes_drugs,
    CASE WHEN p.patient_id IS NOT NULL THEN coalesce(
        coalesce(p.dmp_opened_at, p.mes_created_at) <= CAST(e.end_at AS DATE)
        AND (p.mes_closed_at IS NULL OR p.mes_closed_at > CAST(e.end_at AS DATE)),
        false) END                                                   AS dmp_open,
    count(*)                                                         AS encounters,
    count(d.documents)                                               AS encounters_with_document,
    CAST(coalesce(sum(d.documents), 0) AS BIGINT)                    AS documents
FROM encounters AS e
LEFT JOIN (SELECT * FROM patients WHERE patient_id >= $lo AND patient_id < $hi) AS p ON p.patient_id = e.patient_id
LEFT JOIN docs AS d ON d.encounter_id = e.encounter_id
WHERE e.patient_id >= $lo AND e.patient_id < $hi
GROUP BY ALL;

CREATE OR REPLACE TABLE encounter_counts AS
SELECT start_on, end_on, kind, activity, prescribes_drugs, dmp_open, CAST(sum(encounters) AS BIGINT) AS encounters,
       CAST(sum(encounters_with_document) AS BIGINT) AS encounters_with_document,
       CAST(sum(documents) AS BIGINT) AS documents
FROM _encounter_counts
GROUP BY ALL;

DROP TABLE _encounter_counts;
