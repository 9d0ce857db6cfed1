-- question: How many chronic pathologies do people have at each age (0, 1, 2, 3 or more)?
-- grain: one row per age band (the six bands always present)
-- params: $as_of DATE = 2021-07-01
-- definitions:
--   People = those alive at $as_of (born on or before it, death_date null or after it), by age in full years that
--     day. Default: the start of the preset scenarios' period.
--   Pathologies = distinct conditions.pathology (ids of ref_pathologies: CNAM cartographie pathologies, treated
--     hypertension and non-terminal chronic kidney disease included) whose onset_date is on or before $as_of.
-- columns:
--   age_band          0-17, 18-39, 40-64, 65-74, 75-84, 85+
--   band_order        1..6, to sort the bands
--   people            people of the band alive at $as_of
--   share_0           share with no pathology
--   share_1           share with exactly one
--   share_2           share with exactly two
--   share_3_plus      share with three or more
--   mean_pathologies  mean number of pathologies per person
WITH params AS (SELECT CAST($as_of AS DATE) AS as_of),
bands(band_order, age_band, age_min, age_max) AS (
    VALUES (1, '0-17', 0, 17), (2, '18-39', 18, 39), (3, '40-64', 40, 64), (4, '65-74', 65, 74),
           (5, '75-84', 75, 84), (6, '85+', 85, 1000)
),
people AS (
    SELECT p.patient_id, datesub('year', p.birth_date, params.as_of) AS age
    FROM patients AS p, params
    WHERE p.birth_date <= params.as_of AND (p.death_date IS NULL OR p.death_date > params.as_of)
),
counted AS (
    SELECT c.patient_id, count(DISTINCT c.pathology) AS pathologies
    FROM conditions AS c, params
    WHERE c.onset_date <= params.as_of
    GROUP BY c.patient_id
),
per_band AS (
    SELECT
        b.band_order,
        count(*) AS people,
        count(*) FILTER (WHERE coalesce(c.pathologies, 0) = 0) AS n0,
        count(*) FILTER (WHERE c.pathologies = 1) AS n1,
        count(*) FILTER (WHERE c.pathologies = 2) AS n2,
        count(*) FILTER (WHERE c.pathologies >= 3) AS n3,
        sum(coalesce(c.pathologies, 0)) AS pathologies
    FROM people AS p
    JOIN bands AS b ON p.age BETWEEN b.age_min AND b.age_max
    LEFT JOIN counted AS c ON c.patient_id = p.patient_id
    GROUP BY b.band_order
)
SELECT
    b.age_band,
    CAST(b.band_order AS INTEGER) AS band_order,
    CAST(coalesce(x.people, 0) AS BIGINT) AS people,
    CAST(x.n0 / nullif(x.people, 0) AS DOUBLE) AS share_0,
    CAST(x.n1 / nullif(x.people, 0) AS DOUBLE) AS share_1,
    CAST(x.n2 / nullif(x.people, 0) AS DOUBLE) AS share_2,
    CAST(x.n3 / nullif(x.people, 0) AS DOUBLE) AS share_3_plus,
    CAST(x.pathologies / nullif(x.people, 0) AS DOUBLE) AS mean_pathologies
FROM bands AS b
LEFT JOIN per_band AS x ON x.band_order = b.band_order
ORDER BY b.band_order
