-- question: Are documents written in one care sector read by professionals of other sectors?
-- grain: one row per author sector × reader sector (pairs with at least one read)
-- params: none
-- definitions:
--   Author sector = documents.sector (ville, etablissement, medico_social, or patient / assurance_maladie for
--     uploads and reimbursement data); reader sector = professionals.sector of the reader.
--   A read = an access_events row with action = 'consult' and outcome = 'granted' on a document, by a
--     professional other than the document's author (authors re-reading their own documents are left out).
--   Each document_id (version) counts as one document.
-- columns:
--   author_sector                  sector of the document's author
--   reader_sector                  sector of the reading professional
--   cross_sector                   true when the two sectors differ
--   consultations                  granted reads
--   documents                      distinct documents read
--   readers                        distinct reading professionals
--   documents_fed                  documents fed by the author sector (all, read or not)
--   share_of_author_consultations  consultations / all reads of the author sector's documents
--   share_of_documents_read        documents / documents_fed
WITH fed AS (  -- derived table document_months: documents per month, type, class, sector, …
    SELECT CAST(sector AS VARCHAR) AS author_sector, sum(documents) AS documents_fed
    FROM document_months
    GROUP BY ALL
),
pairs AS (  -- derived table sector_reads: reads by someone other than the author, per pair of sectors
    SELECT
        CAST(document_sector AS VARCHAR) AS author_sector,
        CAST(reader_sector AS VARCHAR) AS reader_sector,
        consultations,
        documents,
        readers
    FROM sector_reads
)
SELECT
    p.author_sector,
    p.reader_sector,
    p.author_sector <> p.reader_sector AS cross_sector,
    CAST(p.consultations AS BIGINT) AS consultations,
    CAST(p.documents AS BIGINT) AS documents,
    CAST(p.readers AS BIGINT) AS readers,
    CAST(f.documents_fed AS BIGINT) AS documents_fed,
    CAST(p.consultations / sum(p.consultations) OVER (PARTITION BY p.author_sector) AS DOUBLE)
        AS share_of_author_consultations,
    CAST(p.documents / f.documents_fed AS DOUBLE) AS share_of_documents_read
FROM pairs AS p
JOIN fed AS f ON f.author_sector = p.author_sector
ORDER BY p.author_sector, p.reader_sector
