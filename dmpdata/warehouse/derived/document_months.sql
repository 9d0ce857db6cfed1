-- grain: one row per (month, type_code, class_code, sector, residence_region, masked_ps) of documents (every
--   document version counts once).
-- reads: documents, patients
-- columns:
--   month              DATE, first day of the month of submitted_at
--   type_code          documents.type_code
--   class_code         documents.class_code
--   sector             documents.sector (the author's)
--   residence_region   region of the patient (null when the patient is not in patients)
--   masked_ps          the document is masked at the end of the period
--   documents          documents
CREATE OR REPLACE TABLE document_months AS
SELECT
    CAST(date_trunc('month', d.submitted_at) AS DATE)                AS month,
    d.type_code,
    d.class_code,
    d.sector,
    p.residence_region,
    d.masked_ps,
    count(*)                                                         AS documents
FROM documents AS d
LEFT JOIN patients AS p ON p.patient_id = d.patient_id
GROUP BY ALL;
