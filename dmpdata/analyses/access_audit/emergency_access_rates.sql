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
WITH by_year AS (  -- derived table access_counts: events per (year, action, access_mode, outcome, on_assumed_cell)
    SELECT
        year,
        sum(events) AS attempts,
        coalesce(sum(events) FILTER (WHERE access_mode = 'bris_de_glace'), 0) AS bris_de_glace,
        coalesce(sum(events) FILTER (WHERE access_mode = 'centre_15'), 0) AS centre_15,
        coalesce(sum(events) FILTER (WHERE access_mode IN ('bris_de_glace', 'centre_15') AND outcome = 'granted'), 0)
            AS emergency_granted,
        coalesce(sum(events) FILTER (WHERE outcome = 'denied_emergency_opt_out'), 0) AS emergency_denied_opt_out
    FROM access_counts
    WHERE action = 'consult'
    GROUP BY year
),
emergency AS (  -- derived table access_patient_years: patients with emergency consults, per year
    SELECT year, count(*) AS emergency_patients
    FROM access_patient_years
    WHERE emergency_consults > 0
    GROUP BY year
),
counted AS (
    SELECT b.*, coalesce(e.emergency_patients, 0) AS emergency_patients
    FROM by_year AS b
    LEFT JOIN emergency AS e USING (year)
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
