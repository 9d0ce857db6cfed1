-- question: How many HbA1c tests do type 2 diabetics get in a year (0, 1, 2-3, 4 or more)?
-- grain: one row per year × band of number of tests (the four bands always present for every year)
-- params: none
-- definitions:
--   Years = the calendar years of the simulated period (first to last encounter start; the first and last may
--     be partial, which lowers their counts).
--   Type 2 diabetics of a year = patients with a conditions row E11 whose onset_date is on or before 1 January
--     of that year, alive the whole year (death_date null or after 31 December): diabetic all year long.
--   An HbA1c test = a distinct encounter with an observation of LOINC 4548-4 (HbA1c, %) taken that year,
--     whether or not its lab report reached the DMP. HAS recommends one every 3 months (4 a year).
-- columns:
--   year        calendar year
--   band        number of HbA1c tests that year: 0, 1, 2-3, 4+
--   band_order  1..4, to sort the bands
--   patients    type 2 diabetics with that number of tests
--   share       patients / type 2 diabetics of the year
WITH years AS (
    SELECT unnest(range(year(min(start_at)), year(max(start_at)) + 1)) AS year  -- year() of two values, not of every row
    FROM encounters
),
bands(band_order, band) AS (
    VALUES (1, '0'), (2, '1'), (3, '2-3'), (4, '4+')
),
diabetics AS (
    SELECT y.year, c.patient_id
    FROM years AS y
    JOIN conditions AS c ON c.condition_code = 'E11' AND c.onset_date <= make_date(CAST(y.year AS INTEGER), 1, 1)
    JOIN patients AS p ON p.patient_id = c.patient_id
    WHERE p.death_date IS NULL OR p.death_date > make_date(CAST(y.year AS INTEGER), 12, 31)
),
tests AS (  -- derived table diabetic_observations: HbA1c results of type 2 diabetics (the only ones counted)
    SELECT year(effective_at) AS year, patient_id, count(DISTINCT encounter_id) AS n_tests
    FROM diabetic_observations
    WHERE loinc_code = '4548-4'
    GROUP BY ALL
),
per_patient AS (
    SELECT
        d.year,
        CASE
            WHEN coalesce(t.n_tests, 0) = 0 THEN 1
            WHEN t.n_tests = 1 THEN 2
            WHEN t.n_tests <= 3 THEN 3
            ELSE 4
        END AS band_order
    FROM diabetics AS d
    LEFT JOIN tests AS t ON t.year = d.year AND t.patient_id = d.patient_id
),
counted AS (
    SELECT year, band_order, count(*) AS patients FROM per_patient GROUP BY ALL
),
totals AS (
    SELECT year, count(*) AS diabetics FROM per_patient GROUP BY year
)
SELECT
    CAST(y.year AS INTEGER) AS year,
    b.band,
    CAST(b.band_order AS INTEGER) AS band_order,
    CAST(coalesce(c.patients, 0) AS BIGINT) AS patients,
    CAST(coalesce(c.patients, 0) / nullif(t.diabetics, 0) AS DOUBLE) AS share
FROM years AS y
CROSS JOIN bands AS b
LEFT JOIN counted AS c ON c.year = y.year AND c.band_order = b.band_order
LEFT JOIN totals AS t ON t.year = y.year
ORDER BY y.year, b.band_order
