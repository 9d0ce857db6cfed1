-- grain: one row per (author_professional_id, reader_professional_id) pair of professionals such that the reader
--   has a granted consultation (access_events action = 'consult', outcome = 'granted') of a document written by
--   the author (documents.author_professional_id, not null), reader ≠ author.
-- reads: _reads
-- columns:
--   author_professional_id   the writing professional
--   reader_professional_id   the reading professional
--   consultations            those granted consultations
--   documents                distinct documents (document_id) read
--   patients                 distinct patients (access_events.patient_id)
CREATE OR REPLACE TABLE sharing_pairs AS
SELECT
    author_professional_id,
    reader_professional_id,
    count(*)                                                         AS consultations,
    count(DISTINCT document_id)                                      AS documents,
    count(DISTINCT patient_id)                                       AS patients
FROM _reads
WHERE author_professional_id IS NOT NULL AND reader_professional_id <> author_professional_id
GROUP BY ALL;
