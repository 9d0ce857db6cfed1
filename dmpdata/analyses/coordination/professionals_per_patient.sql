-- question: How many different professionals take care of a patient in a year, and in how many care sectors?
-- grain: one row per calendar year (of the encounter start)
-- params: none
-- definitions:
--   A professional takes care of a patient in a year when they carry out one of the patient's encounters
--     (encounters.professional_id) that starts that year, whatever its kind (visit, stay, test, dispensing…).
--   Sector = professionals.sector (ville, etablissement, medico_social).
--   Only patients with at least one encounter in the year are counted. The first and last years of the
--     simulated period may be partial years.
-- columns:
--   year                  calendar year
--   patients              patients with at least one encounter that year
--   mean_professionals    mean number of different professionals per patient
--   median_professionals  median number of different professionals per patient
--   share_2_or_more       share of those patients seen by 2 or more different professionals
--   share_multi_sector    share of those patients seen in 2 or more care sectors
WITH per_patient AS (  -- derived table patient_years: distinct professionals per patient and year
    SELECT year, professionals AS n_professionals, multi_sector
    FROM patient_years
    WHERE professionals > 0
)
SELECT
    CAST(year AS INTEGER) AS year,
    CAST(count(*) AS BIGINT) AS patients,
    CAST(avg(n_professionals) AS DOUBLE) AS mean_professionals,
    CAST(median(n_professionals) AS DOUBLE) AS median_professionals,
    CAST(avg(CASE WHEN n_professionals >= 2 THEN 1 ELSE 0 END) AS DOUBLE) AS share_2_or_more,
    CAST(avg(CASE WHEN multi_sector THEN 1 ELSE 0 END) AS DOUBLE) AS share_multi_sector
FROM per_patient
GROUP BY year
ORDER BY year
