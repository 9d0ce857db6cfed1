-- question: Which documents do patients mask from professionals, and what does masking block?
-- grain: one row per document type with at least one document masked at some time
-- params: none
-- definitions:
--   A patient masks a document (MASQUE_PS: hidden from professionals other than its author and the médecin
--     traitant) with an access_events row action = 'mask', and unmasks it with action = 'unmask'.
--   Ever masked = at least one mask event; masked at the end = documents.masked_ps (state after the last
--     mask/unmask). Each document_id (version) counts once.
--   Blocked consultations = attempts with outcome 'denied_masked' on documents of that type.
-- columns:
--   type_code             document type
--   type_label            its label (reference table document_types)
--   class_code            its class
--   documents             documents of that type in the DMP (masked or not)
--   ever_masked           of which masked at least once
--   masked_at_end         of which masked at the end of the period
--   share_ever_masked     ever_masked / documents
--   mask_events           mask actions on documents of that type
--   unmask_events         unmask actions
--   patients_masking      distinct patients who masked a document of that type
--   denied_masked         consultation attempts refused because the document was masked
WITH masked AS (  -- derived table document_masking: documents with at least one such event, per type
    SELECT
        CAST(type_code AS VARCHAR) AS type_code,
        CAST(class_code AS VARCHAR) AS class_code,
        count(*) FILTER (WHERE masks > 0) AS ever_masked,
        sum(masks) AS mask_events,
        sum(unmasks) AS unmask_events,
        count(DISTINCT patient_id) FILTER (WHERE masks > 0) AS patients_masking,
        sum(denied_masked) AS denied_masked
    FROM document_masking
    GROUP BY ALL
),
all_documents AS (  -- derived table document_months: every document, with its masked_ps state
    SELECT
        CAST(type_code AS VARCHAR) AS type_code,
        CAST(class_code AS VARCHAR) AS class_code,
        sum(documents) AS documents,
        coalesce(sum(documents) FILTER (WHERE masked_ps), 0) AS masked_at_end
    FROM document_months
    GROUP BY ALL
),
per_type AS (
    SELECT
        a.type_code,
        a.class_code,
        a.documents,
        coalesce(m.ever_masked, 0) AS ever_masked,
        a.masked_at_end,
        coalesce(m.mask_events, 0) AS mask_events,
        coalesce(m.unmask_events, 0) AS unmask_events,
        coalesce(m.patients_masking, 0) AS patients_masking,
        coalesce(m.denied_masked, 0) AS denied_masked
    FROM all_documents AS a
    LEFT JOIN masked AS m ON m.type_code = a.type_code AND m.class_code = a.class_code
)
SELECT
    p.type_code,
    t.label AS type_label,
    p.class_code,
    CAST(p.documents AS BIGINT) AS documents,
    CAST(p.ever_masked AS BIGINT) AS ever_masked,
    CAST(p.masked_at_end AS BIGINT) AS masked_at_end,
    CAST(p.ever_masked / p.documents AS DOUBLE) AS share_ever_masked,
    CAST(p.mask_events AS BIGINT) AS mask_events,
    CAST(p.unmask_events AS BIGINT) AS unmask_events,
    CAST(p.patients_masking AS BIGINT) AS patients_masking,
    CAST(p.denied_masked AS BIGINT) AS denied_masked
FROM per_type AS p
LEFT JOIN ref_document_types AS t ON t.type_code = p.type_code
WHERE p.ever_masked > 0 OR p.masked_at_end > 0
ORDER BY p.ever_masked DESC, p.type_code
