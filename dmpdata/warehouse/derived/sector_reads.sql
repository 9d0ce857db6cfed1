-- grain: one row per (document_sector, reader_sector) with at least one granted consultation (access_events
--   action = 'consult', outcome = 'granted') of a document by a professional (present in professionals) other
--   than its author (documents without a professional author included).
-- reads: _reads, professionals
-- columns:
--   document_sector   documents.sector
--   reader_sector     professionals.sector of the reader
--   consultations     those granted consultations
--   documents         distinct documents read
--   readers           distinct reading professionals
CREATE OR REPLACE TABLE sector_reads AS
SELECT
    r.document_sector,
    p.sector                                                         AS reader_sector,
    count(*)                                                         AS consultations,
    count(DISTINCT r.document_id)                                    AS documents,
    count(DISTINCT r.reader_professional_id)                         AS readers
FROM _reads AS r
JOIN professionals AS p ON p.professional_id = r.reader_professional_id
WHERE r.reader_professional_id IS DISTINCT FROM r.author_professional_id
GROUP BY ALL;
