-- question: Which pairs of professionals share the most through the DMP (one writes, the other reads)?
-- grain: one row per author → reader pair of professionals, the $limit pairs sharing about the most patients
-- params: $limit INTEGER = 20
-- definitions:
--   A link author → reader exists when the reader has a granted consultation (access_events action = 'consult',
--     outcome = 'granted') of a document written by the author (documents.author_professional_id), reader ≠
--     author. Documents without a professional author (patient uploads, Assurance Maladie data) are left out.
--   Pairs are ranked by distinct patients, then consultations, then author and reader ids.
-- columns:
--   author_professional_id    the writing professional (professionals.professional_id)
--   author_profession         profession label of the author (TRE_G15)
--   author_specialty          ordinal specialty label of the author (doctors only, else null)
--   author_sector             care sector of the author
--   reader_professional_id    the reading professional
--   reader_profession         profession label of the reader
--   reader_specialty          specialty label of the reader
--   reader_sector             care sector of the reader
--   patients                  distinct patients whose documents the reader read from this author
--   documents                 distinct documents read
--   consultations             granted reads
WITH pairs AS (  -- derived table sharing_pairs: granted reads per author → reader pair
    SELECT author_professional_id, reader_professional_id, patients, documents, consultations
    FROM sharing_pairs
),
top AS (
    SELECT *
    FROM pairs
    ORDER BY patients DESC, consultations DESC, author_professional_id, reader_professional_id
    LIMIT CAST($limit AS INTEGER)
)
SELECT
    t.author_professional_id,
    pa.label AS author_profession,
    sa.label AS author_specialty,
    CAST(au.sector AS VARCHAR) AS author_sector,
    t.reader_professional_id,
    pr.label AS reader_profession,
    sr.label AS reader_specialty,
    CAST(re.sector AS VARCHAR) AS reader_sector,
    CAST(t.patients AS BIGINT) AS patients,
    CAST(t.documents AS BIGINT) AS documents,
    CAST(t.consultations AS BIGINT) AS consultations
FROM top AS t
JOIN professionals AS au ON au.professional_id = t.author_professional_id
JOIN professionals AS re ON re.professional_id = t.reader_professional_id
LEFT JOIN ref_professions AS pa ON pa.profession_code = CAST(au.profession_code AS VARCHAR)
LEFT JOIN ref_specialties AS sa ON sa.specialty_code = CAST(au.specialty_code AS VARCHAR)
LEFT JOIN ref_professions AS pr ON pr.profession_code = CAST(re.profession_code AS VARCHAR)
LEFT JOIN ref_specialties AS sr ON sr.specialty_code = CAST(re.specialty_code AS VARCHAR)
ORDER BY t.patients DESC, t.consultations DESC, t.author_professional_id, t.reader_professional_id
