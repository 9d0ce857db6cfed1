-- question: How many documents reach the DMP each month, by document type, class, author sector and region?
-- grain: one row per month × type_code × class_code × sector × region (combinations with at least one document)
-- params: none
-- definitions:
--   A document = one row of documents (each version fed counts), dated by its submission to the DMP
--     (submitted_at). Sector = documents.sector (the author's: ville, etablissement, medico_social, patient,
--     assurance_maladie). Region = the patient's region of residence (patients.residence_region).
-- columns:
--   month          first day of the month of submission
--   type_code      document type (XDS typeCode)
--   type_label     label of the type (reference table document_types)
--   class_code     document class (XDS classCode)
--   sector         sector of the author
--   region         INSEE code of the patient's region of residence
--   region_name    name of that region
--   documents      documents submitted
WITH counted AS (  -- derived table document_months: documents per month, type, class, sector, region
    SELECT
        month,
        CAST(type_code AS VARCHAR) AS type_code,
        CAST(class_code AS VARCHAR) AS class_code,
        CAST(sector AS VARCHAR) AS sector,
        CAST(residence_region AS VARCHAR) AS region,
        sum(documents) AS documents
    FROM document_months
    WHERE residence_region IS NOT NULL  -- null: the patient is not in patients
    GROUP BY ALL
)
SELECT
    c.month,
    c.type_code,
    t.label AS type_label,
    c.class_code,
    c.sector,
    c.region,
    r.name AS region_name,
    CAST(c.documents AS BIGINT) AS documents
FROM counted AS c
LEFT JOIN ref_document_types AS t ON t.type_code = c.type_code
LEFT JOIN ref_regions AS r ON r.code = c.region
ORDER BY c.month, c.type_code, c.class_code, c.sector, c.region
