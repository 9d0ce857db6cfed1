-- grain: one row per (month, author_professional_id) with at least one document (documents.author_professional_id,
--   not null; every version counts) submitted that month.
-- reads: documents
-- columns:
--   month                    DATE, first day of the month of submitted_at
--   author_professional_id   the author
--   documents                documents the author submitted that month
CREATE OR REPLACE TABLE author_months AS
SELECT
    CAST(date_trunc('month', submitted_at) AS DATE)                  AS month,
    author_professional_id,
    count(*)                                                         AS documents
FROM documents
WHERE author_professional_id IS NOT NULL
GROUP BY ALL;
