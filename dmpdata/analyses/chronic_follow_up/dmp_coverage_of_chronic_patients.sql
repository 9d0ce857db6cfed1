-- question: Do chronically ill people have an activated Mon espace santé and how many DMP documents do they get, compared with everyone?
-- grain: one row per pathology group, plus one row for everyone and one for the people with no pathology
-- params: $since DATE = 2021-07-01 ; $as_of DATE = 2026-06-30
-- definitions:
--   People = those alive at $as_of (death_date null or after it). A group's people have at least one pathology of
--     the group (ref_pathologies.group) with onset_date on or before $as_of; a person may be in several groups.
--     Defaults: the preset scenarios' period (from its first to its last day).
--   Activated at $as_of = mes_activated_at on or before $as_of and the profile not closed by then.
--   Documents = DMP documents of those people (every version fed, any author) submitted from $since to $as_of
--     included; person-years = the time each person lived in that span (from birth when born after $since).
-- columns:
--   pathology_group             ref_pathologies.group, or all (everyone alive) or none (no pathology)
--   label                       ref_pathology_groups.label (all and none: Everyone, No chronic pathology)
--   row_order                   0 for all, 1 for the groups (in ref_pathology_groups order), 2 for none
--   people                      people alive at $as_of in the group
--   activated                   of whom with an activated Mon espace santé at $as_of
--   share_activated             activated / people
--   documents                   their documents submitted from $since to $as_of
--   person_years                their person-years in that span
--   documents_per_person_year   documents / person_years
WITH params AS (SELECT CAST($since AS DATE) AS start, CAST($as_of AS DATE) AS as_of),
people AS (
    SELECT
        p.patient_id,
        coalesce(p.mes_activated_at <= params.as_of AND (p.mes_closed_at IS NULL OR p.mes_closed_at > params.as_of), false)
            AS activated,
        greatest(datediff('day', greatest(p.birth_date, params.start), params.as_of + 1), 0) AS days
    FROM patients AS p, params
    WHERE p.birth_date <= params.as_of AND (p.death_date IS NULL OR p.death_date > params.as_of)
),
docs AS (
    SELECT d.patient_id, count(*) AS documents
    FROM documents AS d, params
    WHERE d.submitted_at >= CAST(params.start AS TIMESTAMP)
      AND d.submitted_at < CAST(params.as_of + 1 AS TIMESTAMP)
    GROUP BY d.patient_id
),
groups AS (
    SELECT DISTINCT c.patient_id, r."group" AS pathology_group
    FROM conditions AS c
    JOIN ref_pathologies AS r ON r.pathology = CAST(c.pathology AS VARCHAR)
    CROSS JOIN params
    WHERE c.onset_date <= params.as_of
),
membership AS (
    SELECT patient_id, 'all' AS pathology_group, 0 AS row_order FROM people
    UNION ALL
    SELECT patient_id, pathology_group, 1 AS row_order FROM groups WHERE patient_id IN (SELECT patient_id FROM people)
    UNION ALL
    SELECT patient_id, 'none' AS pathology_group, 2 AS row_order FROM people
    WHERE patient_id NOT IN (SELECT patient_id FROM groups)
),
counted AS (
    SELECT
        m.pathology_group,
        m.row_order,
        count(*) AS people,
        count(*) FILTER (WHERE p.activated) AS activated,
        coalesce(sum(d.documents), 0) AS documents,
        sum(p.days) / 365.25 AS person_years  -- days: an integer sum, the same in any order
    FROM membership AS m
    JOIN people AS p ON p.patient_id = m.patient_id
    LEFT JOIN docs AS d ON d.patient_id = m.patient_id
    GROUP BY ALL
)
SELECT
    c.pathology_group,
    CASE c.pathology_group WHEN 'all' THEN 'Everyone' WHEN 'none' THEN 'No chronic pathology'
        ELSE coalesce(g.label, c.pathology_group) END AS label,
    CAST(c.row_order AS INTEGER) AS row_order,
    CAST(c.people AS BIGINT) AS people,
    CAST(c.activated AS BIGINT) AS activated,
    CAST(c.activated / nullif(c.people, 0) AS DOUBLE) AS share_activated,
    CAST(c.documents AS BIGINT) AS documents,
    CAST(c.person_years AS DOUBLE) AS person_years,
    CAST(c.documents / nullif(c.person_years, 0) AS DOUBLE) AS documents_per_person_year
FROM counted AS c
LEFT JOIN ref_pathology_groups AS g ON g."group" = c.pathology_group
ORDER BY c.row_order, g."order", c.pathology_group
