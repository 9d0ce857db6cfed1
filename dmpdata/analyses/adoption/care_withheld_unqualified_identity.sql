-- question: How much care never reached the DMP because the author's structure had not qualified the patient's identity, by sector and year?
-- grain: one row per year × sector of the structure (combinations with at least one encounter)
-- params: none
-- definitions:
--   A document is fed to the DMP only when the author's structure holds a qualified identity of the patient
--     (identity_records.qualified_at on or before the submission; INS référentiel). Withheld = a document the
--     encounter produced that passed every other test (author equipped, DMP open, the author feeds that type)
--     but not this one: encounters.documents_withheld_unqualified.
--   Year = year the encounter started; sector = that of the structure where it took place (organizations.sector).
--     Documents without an encounter (the médecin traitant's yearly synthesis, type 60591-5) are not here:
--     identity_records.documents_withheld counts them per structure and patient.
--   Documents fed = documents of professional authors of that sector submitted that year (every version, the
--     yearly synthesis excepted): dated by submission, not by the encounter, a close match for a yearly count.
-- columns:
--   year                          year the encounter started
--   sector                        sector of the structure (ville, etablissement, medico_social)
--   encounters                    encounters in that structure sector and year
--   encounters_withheld           of which at least one document was withheld for an unqualified identity
--   documents_withheld            documents withheld for an unqualified identity
--   documents_fed                 documents professionals of that sector fed to the DMP that year
--   share_withheld                documents_withheld / (documents_withheld + documents_fed): the share of the
--     documents that would have reached the DMP with a qualified identity
WITH care AS (
    SELECT
        year(e.start_at) AS year,
        CAST(o.sector AS VARCHAR) AS sector,
        count(*) AS encounters,
        count(*) FILTER (WHERE e.documents_withheld_unqualified > 0) AS encounters_withheld,
        sum(e.documents_withheld_unqualified) AS documents_withheld
    FROM encounters AS e
    JOIN organizations AS o ON o.organization_id = e.organization_id
    GROUP BY ALL
),
fed AS (  -- derived table document_months: documents per month, type, sector, region
    SELECT year(m.month) AS year, CAST(m.sector AS VARCHAR) AS sector, sum(m.documents) AS documents
    FROM document_months AS m
    WHERE CAST(m.type_code AS VARCHAR) <> '60591-5'
    GROUP BY ALL
)
SELECT
    CAST(c.year AS INTEGER) AS year,
    c.sector,
    CAST(c.encounters AS BIGINT) AS encounters,
    CAST(c.encounters_withheld AS BIGINT) AS encounters_withheld,
    CAST(c.documents_withheld AS BIGINT) AS documents_withheld,
    CAST(coalesce(f.documents, 0) AS BIGINT) AS documents_fed,
    CAST(c.documents_withheld / nullif(c.documents_withheld + coalesce(f.documents, 0), 0) AS DOUBLE)
        AS share_withheld
FROM care AS c
LEFT JOIN fed AS f ON f.year = c.year AND f.sector = c.sector
ORDER BY c.year, c.sector
