-- question: What share of professionals feed the DMP each month, by profession?
-- grain: one row per month × profession (every month of the period, every profession present in professionals)
-- params: none
-- definitions:
--   Months = every calendar month from the first to the last encounter start (the simulated period).
--   A professional feeds the DMP in a month when they are the author (documents.author_professional_id) of at
--     least one document submitted that month (new versions count). Equipped = professionals.dmp_equipped_from
--     on or before the last day of the month (DMP-compatible software; unequipped professionals cannot feed).
--   The professionals table has no start or end dates: every professional counts in every month.
-- columns:
--   month                       first day of the month
--   profession_code             TRE_G15 profession code
--   profession_label            its label
--   professionals               professionals of that profession in the dataset
--   equipped_professionals      of whom equipped by the end of the month
--   feeding_professionals       of whom authored at least one document that month
--   share_feeding               feeding_professionals / professionals
--   share_feeding_of_equipped   feeding_professionals / equipped_professionals (null when none is equipped)
--   documents                   documents submitted that month by professionals of that profession
WITH months AS (
    SELECT CAST(unnest(generate_series(
        date_trunc('month', min(start_at)), date_trunc('month', max(start_at)), INTERVAL 1 MONTH
    )) AS DATE) AS month
    FROM encounters
),
fed AS (  -- derived table author_months: documents per (month, author)
    SELECT month, author_professional_id, documents
    FROM author_months
),
grid AS (
    SELECT m.month, CAST(p.profession_code AS VARCHAR) AS profession_code, p.professional_id, p.dmp_equipped_from
    FROM months AS m
    CROSS JOIN professionals AS p
),
counted AS (
    SELECT
        g.month,
        g.profession_code,
        count(*) AS professionals,
        count(*) FILTER (WHERE g.dmp_equipped_from <= last_day(g.month)) AS equipped_professionals,
        count(f.author_professional_id) AS feeding_professionals,
        coalesce(sum(f.documents), 0) AS documents
    FROM grid AS g
    LEFT JOIN fed AS f ON f.month = g.month AND f.author_professional_id = g.professional_id
    GROUP BY ALL
)
SELECT
    c.month,
    c.profession_code,
    pr.label AS profession_label,
    CAST(c.professionals AS BIGINT) AS professionals,
    CAST(c.equipped_professionals AS BIGINT) AS equipped_professionals,
    CAST(c.feeding_professionals AS BIGINT) AS feeding_professionals,
    CAST(c.feeding_professionals / c.professionals AS DOUBLE) AS share_feeding,
    CAST(c.feeding_professionals / nullif(c.equipped_professionals, 0) AS DOUBLE) AS share_feeding_of_equipped,
    CAST(c.documents AS BIGINT) AS documents
FROM counted AS c
LEFT JOIN ref_professions AS pr ON pr.profession_code = c.profession_code
ORDER BY c.month, c.profession_code
