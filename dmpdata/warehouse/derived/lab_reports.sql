-- grain: one row per lab report: a document of type 11502-2 (CR d'examens biologiques; each document_id counts) of
--   a patient present in patients.
-- reads: _reads, documents, gp_declarations, patients
-- columns:
--   document_id               the report
--   patient_id                its patient
--   author_professional_id    its author (the laboratory)
--   submitted_at              when it reached the DMP
--   presc_bio_prescriber_id   author of the PRESC-BIO document (prescription d'examen de biologie) of the same
--     encounter (the smallest id when several), null when none was fed
--   prescriber_id             that prescriber, else the patient's médecin traitant when the report reached the DMP
--     (gp_declarations; null when neither exists)
--   read_by_prescriber        a granted consultation of the report by prescriber_id
--   read_by_other             a granted consultation by a professional who is neither prescriber_id nor the author
CREATE OR REPLACE TABLE lab_reports AS
WITH presc_bio AS (
    SELECT encounter_id, min(author_professional_id) AS prescriber_id
    FROM documents
    WHERE type_code = 'PRESC-BIO' AND encounter_id IS NOT NULL
    GROUP BY encounter_id
),
reports AS (
    SELECT
        d.document_id,
        d.patient_id,
        d.author_professional_id,
        d.submitted_at,
        pb.prescriber_id                                             AS presc_bio_prescriber_id,
        coalesce(pb.prescriber_id, g.professional_id)                AS prescriber_id
    FROM documents AS d
    JOIN patients AS pt ON pt.patient_id = d.patient_id
    LEFT JOIN presc_bio AS pb ON pb.encounter_id = d.encounter_id
    -- declarations do not overlap (integrity check gp_declarations_do_not_overlap): one match at most
    LEFT JOIN gp_declarations AS g ON g.patient_id = d.patient_id
        AND g.declared_from <= CAST(d.submitted_at AS DATE)
        AND (g.declared_until IS NULL OR g.declared_until >= CAST(d.submitted_at AS DATE))
    WHERE d.type_code = '11502-2'
),
reads AS (
    SELECT
        p.document_id,
        bool_or(r.reader_professional_id = p.prescriber_id)          AS by_prescriber,
        bool_or(
            r.reader_professional_id IS DISTINCT FROM p.prescriber_id
            AND r.reader_professional_id IS DISTINCT FROM p.author_professional_id
        )                                                            AS by_other
    FROM reports AS p
    JOIN _reads AS r ON r.document_id = p.document_id
    WHERE r.type_code = '11502-2'
    GROUP BY p.document_id
)
SELECT
    p.*,
    coalesce(x.by_prescriber, false)                                 AS read_by_prescriber,
    coalesce(x.by_other, false)                                      AS read_by_other
FROM reports AS p
LEFT JOIN reads AS x ON x.document_id = p.document_id;
