-- grain: one row per granted consultation (access_events action = 'consult', outcome = 'granted') of a document
--   present in documents; a scratch table, dropped once the tables reading it are built.
-- reads: access_events, documents
-- columns:
--   document_id              the document read
--   patient_id               access_events.patient_id (the document's patient)
--   occurred_at              when it was read
--   reader_professional_id   access_events.actor_professional_id
--   author_professional_id   documents.author_professional_id
--   document_sector          documents.sector (the author's)
--   type_code                documents.type_code
CREATE OR REPLACE TEMP TABLE _reads AS
SELECT
    a.document_id,
    a.patient_id,
    a.occurred_at,
    a.actor_professional_id                                          AS reader_professional_id,
    d.author_professional_id,
    d.sector                                                         AS document_sector,
    d.type_code
FROM access_events AS a
JOIN documents AS d ON d.document_id = a.document_id
WHERE a.action = 'consult' AND a.outcome = 'granted'
  AND a.patient_id >= $lo AND a.patient_id < $hi AND d.patient_id >= $lo AND d.patient_id < $hi;
