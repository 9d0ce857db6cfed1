-- grain: one row per document (present in documents) with at least one mask or unmask event (access_events action
--   'mask', 'unmask') or a consultation denied because the document is masked (action 'consult', outcome
--   'denied_masked').
-- reads: access_events, documents
-- columns:
--   document_id     the document
--   patient_id      documents.patient_id
--   type_code       documents.type_code
--   class_code      documents.class_code
--   masks           'mask' events (0 when none)
--   unmasks         'unmask' events (0 when none)
--   denied_masked   consultations denied because the document is masked (0 when none)
CREATE OR REPLACE TABLE document_masking AS
SELECT
    a.document_id,
    d.patient_id,
    d.type_code,
    d.class_code,
    count(*) FILTER (WHERE a.action = 'mask')                        AS masks,
    count(*) FILTER (WHERE a.action = 'unmask')                      AS unmasks,
    count(*) FILTER (WHERE a.action = 'consult')                     AS denied_masked
FROM access_events AS a
JOIN documents AS d ON d.document_id = a.document_id
WHERE a.action IN ('mask', 'unmask') OR (a.action = 'consult' AND a.outcome = 'denied_masked')
GROUP BY ALL;
