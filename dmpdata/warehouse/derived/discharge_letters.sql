-- grain: one row per discharge letter: a document of type 11490-0 (lettre de liaison de sortie; each document_id,
--   i.e. each version, counts) of a patient present in patients.
-- reads: _reads, documents, encounters, gp_declarations, patients
-- columns:
--   document_id              the letter
--   patient_id               its patient
--   author_professional_id   its author
--   submitted_at             when it reached the DMP
--   discharge_at             end of the stay: encounters.end_at of the letter's encounter, the letter's
--     created_at when it has none
--   gp_professional_id       the patient's médecin traitant when the letter reached the DMP (gp_declarations; null
--     when none was in force that day)
--   first_gp_read_at         first granted consultation of the letter by the médecin traitant (null: never)
--   first_other_read_at      first granted consultation by anyone other than the letter's author (null: never)
CREATE OR REPLACE TABLE discharge_letters AS
WITH letters AS (
    SELECT
        d.document_id,
        d.patient_id,
        d.author_professional_id,
        d.submitted_at,
        coalesce(e.end_at, d.created_at)                             AS discharge_at,
        g.professional_id                                            AS gp_professional_id
    FROM documents AS d
    JOIN patients AS pt ON pt.patient_id = d.patient_id
    LEFT JOIN encounters AS e ON e.encounter_id = d.encounter_id
    -- declarations do not overlap (integrity check gp_declarations_do_not_overlap): one match at most
    LEFT JOIN gp_declarations AS g ON g.patient_id = d.patient_id
        AND g.declared_from <= CAST(d.submitted_at AS DATE)
        AND (g.declared_until IS NULL OR g.declared_until >= CAST(d.submitted_at AS DATE))
    WHERE d.type_code = '11490-0'
),
reads AS (
    SELECT
        l.document_id,
        min(r.occurred_at) FILTER (WHERE r.reader_professional_id = l.gp_professional_id) AS first_gp_read_at,
        min(r.occurred_at) FILTER (
            WHERE r.reader_professional_id IS DISTINCT FROM l.author_professional_id
        )                                                            AS first_other_read_at
    FROM letters AS l
    JOIN _reads AS r ON r.document_id = l.document_id
    WHERE r.type_code = '11490-0'
    GROUP BY l.document_id
)
SELECT l.*, r.first_gp_read_at, r.first_other_read_at
FROM letters AS l
LEFT JOIN reads AS r ON r.document_id = l.document_id;
