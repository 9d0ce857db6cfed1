-- question: How does the prevalence of each pathology and pathology group in the data compare with the published national figure?
-- grain: one row per pathology group, then one row per pathology of the group
-- params: $as_of DATE = 2021-07-01
-- definitions:
--   Population = the people alive at $as_of (born on or before it, death_date null or after it). Default: the
--     start of the preset scenarios' period.
--   A case = a conditions row of the pathology whose onset_date is on or before $as_of (cases coded during the
--     period are incident, not prevalent at its start). A group (ref_pathologies.group, CNAM cartographie
--     top-level groups) counts the people with at least one of its pathologies.
--   Published = ref_pathologies.prevalence (national prevalence, all ages, both sexes). A group has no figure of
--     its own there: its published figure is the sum of its pathologies' — an upper bound, since a person with two
--     pathologies of the group counts twice — and is compared with the same sum in the data (prevalence_summed).
--     The prevalence targets of a region or an age-restricted scenario differ from the national figure.
-- columns:
--   level                 group or pathology
--   pathology_group       ref_pathologies.group
--   pathology             ref_pathologies.pathology (null on a group's row)
--   label                 ref_pathologies.label (a group: ref_pathology_groups.label, the cartographie's wording)
--   people                people alive at $as_of
--   cases                 of whom with the pathology (a group: with at least one of its pathologies)
--   prevalence            cases / people
--   prevalence_summed     the sum of the group's pathologies' prevalences (a pathology: its prevalence)
--   published_prevalence  ref_pathologies.prevalence (a group: the sum over its pathologies)
--   ratio                 prevalence_summed / published_prevalence (1: on the published figure)
WITH params AS (SELECT CAST($as_of AS DATE) AS as_of),
alive AS (
    SELECT count(*) AS people FROM patients AS p, params
    WHERE p.birth_date <= params.as_of AND (p.death_date IS NULL OR p.death_date > params.as_of)
),
cases AS (
    SELECT c.patient_id, CAST(c.pathology AS VARCHAR) AS pathology, r."group" AS pathology_group
    FROM conditions AS c
    JOIN patients AS p ON p.patient_id = c.patient_id
    JOIN ref_pathologies AS r ON r.pathology = CAST(c.pathology AS VARCHAR)
    CROSS JOIN params
    WHERE c.onset_date <= params.as_of
      AND p.birth_date <= params.as_of AND (p.death_date IS NULL OR p.death_date > params.as_of)
),
by_pathology AS (
    SELECT
        'pathology' AS level,
        r."group" AS pathology_group,
        r.pathology,
        r.label,
        CAST(count(DISTINCT c.patient_id) AS BIGINT) AS cases,
        r.prevalence AS published_prevalence
    FROM ref_pathologies AS r
    LEFT JOIN cases AS c ON c.pathology = r.pathology
    GROUP BY ALL
),
by_group AS (
    SELECT
        'group' AS level,
        b.pathology_group,
        NULL AS pathology,
        coalesce(any_value(g.label), b.pathology_group) AS label,
        (SELECT CAST(count(DISTINCT c.patient_id) AS BIGINT) FROM cases AS c WHERE c.pathology_group = b.pathology_group)
            AS cases,
        list_sum(list(b.published_prevalence ORDER BY b.pathology)) AS published_prevalence,  -- in a fixed order
        sum(b.cases) AS summed_cases
    FROM by_pathology AS b
    LEFT JOIN ref_pathology_groups AS g ON g."group" = b.pathology_group
    GROUP BY b.pathology_group
),
rows_ AS (
    SELECT level, pathology_group, pathology, label, cases, cases AS summed_cases, published_prevalence, 1 AS row_order
    FROM by_pathology
    UNION ALL
    SELECT level, pathology_group, pathology, label, cases, summed_cases, published_prevalence, 0 AS row_order
    FROM by_group
)
SELECT
    r.level,
    r.pathology_group,
    r.pathology,
    r.label,
    CAST(a.people AS BIGINT) AS people,
    CAST(r.cases AS BIGINT) AS cases,
    CAST(r.cases / nullif(a.people, 0) AS DOUBLE) AS prevalence,
    CAST(r.summed_cases / nullif(a.people, 0) AS DOUBLE) AS prevalence_summed,
    CAST(r.published_prevalence AS DOUBLE) AS published_prevalence,
    CAST(r.summed_cases / nullif(a.people, 0) / nullif(r.published_prevalence, 0) AS DOUBLE) AS ratio
FROM rows_ AS r
CROSS JOIN alive AS a
ORDER BY r.pathology_group, r.row_order, r.pathology
