-- question: How often do professionals open a DMP in emergency mode (bris de glace, centre 15), and how often is it refused?
-- grain: one row per calendar year with at least one consultation attempt
-- params: none
-- definitions:
--   Consultation attempt = an access_events row with action = 'consult' (granted or denied).
--   Emergency modes = access_mode 'bris_de_glace' (break the glass: a professional facing an emergency) and
--     'centre_15' (the SAMU regulation); they bypass the access matrix but are refused when the patient opted out
--     of emergency access (outcome 'denied_emergency_opt_out').
-- columns:
--   year                       year of the attempt
--   attempts                   consultation attempts, every mode
--   bris_de_glace              attempts in bris de glace mode
--   centre_15                  attempts in centre 15 mode
--   emergency_granted          emergency attempts granted
--   emergency_denied_opt_out   emergency attempts refused because the patient opted out
--   emergency_patients         distinct patients with at least one emergency attempt
--   share_bris_de_glace        bris_de_glace / attempts
--   share_centre_15            centre_15 / attempts
WITH by_year AS (  -- year() of each distinct first-of-year, not of every row
    SELECT
        date_trunc('year', occurred_at) AS year_start,
        count(*) AS attempts,
        count(*) FILTER (WHERE access_mode = 'bris_de_glace') AS bris_de_glace,
        count(*) FILTER (WHERE access_mode = 'centre_15') AS centre_15,
        count(*) FILTER (WHERE access_mode IN ('bris_de_glace', 'centre_15') AND outcome = 'granted')
            AS emergency_granted,
        count(*) FILTER (WHERE outcome = 'denied_emergency_opt_out') AS emergency_denied_opt_out
    FROM access_events
    WHERE action = 'consult'
    GROUP BY ALL
),
emergency AS (  -- distinct patients over the few emergency consults only
    SELECT date_trunc('year', occurred_at) AS year_start, count(DISTINCT patient_id) AS emergency_patients
    FROM access_events
    WHERE action = 'consult' AND access_mode IN ('bris_de_glace', 'centre_15')
    GROUP BY ALL
),
counted AS (
    SELECT year(b.year_start) AS year, b.* EXCLUDE (year_start), coalesce(e.emergency_patients, 0) AS emergency_patients
    FROM by_year AS b
    LEFT JOIN emergency AS e USING (year_start)
)
SELECT
    CAST(year AS INTEGER) AS year,
    CAST(attempts AS BIGINT) AS attempts,
    CAST(bris_de_glace AS BIGINT) AS bris_de_glace,
    CAST(centre_15 AS BIGINT) AS centre_15,
    CAST(emergency_granted AS BIGINT) AS emergency_granted,
    CAST(emergency_denied_opt_out AS BIGINT) AS emergency_denied_opt_out,
    CAST(emergency_patients AS BIGINT) AS emergency_patients,
    CAST(bris_de_glace / attempts AS DOUBLE) AS share_bris_de_glace,
    CAST(centre_15 / attempts AS DOUBLE) AS share_centre_15
FROM counted
ORDER BY year
