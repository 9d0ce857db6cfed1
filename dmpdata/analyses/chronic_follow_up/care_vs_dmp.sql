-- question: What care happened (encounters) versus what the DMP shows (documents fed), by kind of encounter and year?
-- grain: one row per year × encounter kind (combinations with at least one encounter)
-- params: none
-- definitions:
--   Encounters = every care event of the encounters table, dated by its start. A document shows the encounter
--     when its encounter_id is the encounter's (any type, any version); documents without an encounter (VSM,
--     reimbursement data, patient uploads) are not counted here.
--   DMP open at the encounter = the patient's profile was created on or before the day the encounter ended and
--     not closed by then (nothing can be fed to a DMP that does not exist: opposed patients, closed profiles).
-- columns:
--   year                          year the encounter started
--   encounter_kind                kind of care event (reference table encounter_kinds)
--   kind_label                    its label
--   encounters                    encounters of that kind
--   encounters_dmp_open           of which the patient's DMP was open when it ended
--   encounters_with_document      of which at least one document reached the DMP
--   share_with_document           encounters_with_document / encounters
--   share_with_document_if_open   encounters with a document and an open DMP / encounters_dmp_open
--   documents                     documents attached to those encounters
WITH counted AS (  -- derived table encounter_counts: encounters per day, kind, … and DMP state
    SELECT
        year(start_on) AS year,
        CAST(kind AS VARCHAR) AS encounter_kind,
        CAST(sum(encounters) AS BIGINT) AS encounters,
        CAST(coalesce(sum(encounters) FILTER (WHERE dmp_open), 0) AS BIGINT) AS encounters_dmp_open,
        CAST(sum(encounters_with_document) AS BIGINT) AS encounters_with_document,
        CAST(coalesce(sum(encounters_with_document) FILTER (WHERE dmp_open), 0) AS BIGINT)
            AS encounters_with_document_open,
        CAST(sum(documents) AS BIGINT) AS documents
    FROM encounter_counts
    WHERE dmp_open IS NOT NULL  -- null: the patient is not in patients
    GROUP BY ALL
)
SELECT
    CAST(c.year AS INTEGER) AS year,
    c.encounter_kind,
    k.label AS kind_label,
    CAST(c.encounters AS BIGINT) AS encounters,
    CAST(c.encounters_dmp_open AS BIGINT) AS encounters_dmp_open,
    CAST(c.encounters_with_document AS BIGINT) AS encounters_with_document,
    CAST(c.encounters_with_document / c.encounters AS DOUBLE) AS share_with_document,
    CAST(c.encounters_with_document_open / nullif(c.encounters_dmp_open, 0) AS DOUBLE) AS share_with_document_if_open,
    CAST(c.documents AS BIGINT) AS documents
FROM counted AS c
LEFT JOIN ref_encounter_kinds AS k ON k.kind = c.encounter_kind
ORDER BY c.year, c.encounter_kind
