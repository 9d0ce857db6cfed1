-- question: Why are professionals' consultations of the DMP refused, year by year?
-- grain: one row per year × denial reason (reasons that occurred that year)
-- params: none
-- definitions:
--   Consultation attempt = an access_events row with action = 'consult'. A denial = an attempt whose outcome is
--     not 'granted'; the reason is the outcome, the first rule of the DMP's access rule that refuses it:
--     denied_no_dmp (no open DMP), denied_blocked (the patient blocked that professional), denied_matrix (the
--     profession may not read that type of document), denied_emergency_opt_out (emergency access refused by the
--     patient), denied_masked (document masked to professionals).
--   Assumed cell = a cell of the access matrix (profession × document type, reference table access_matrix) whose
--     evidence is 'assumption' (no source states it), or a pair absent from the matrix (not allowed by default).
--     denials_on_assumed_cells counts the denied_matrix denials that rest on such a cell: they would change if the
--     matrix's annex said otherwise. Other reasons never rest on the matrix (0).
--   Which denials appear (assumption): the DMP's search may leave out of a professional's list the documents the
--     matrix or a mask hides from them, rather than refuse them when opened (the DMP-compatibility requirement
--     EX_3.1-1030 reserves showing masked documents to the médecin traitant); no public source says what the
--     DMP's traces hold, so every refused attempt is kept as a trace here (access_outcomes, evidence).
-- columns:
--   year               year of the attempt
--   reason             outcome of the denied attempts
--   denials            denied attempts for that reason
--   denials_on_assumed_cells  those resting on an assumed cell of the access matrix (denied_matrix only)
--   attempts           all consultation attempts of the year
--   share_of_attempts  denials / attempts
--   share_of_denials   denials / all denials of the year
WITH attempts AS (  -- derived table access_counts: events per (year, action, access_mode, outcome, on_assumed_cell)
    SELECT year, CAST(outcome AS VARCHAR) AS outcome, on_assumed_cell, events
    FROM access_counts
    WHERE action = 'consult'
),
totals AS (
    SELECT year, sum(events) AS attempts, coalesce(sum(events) FILTER (WHERE outcome <> 'granted'), 0) AS denials
    FROM attempts
    GROUP BY year
),
counted AS (
    SELECT
        year,
        outcome AS reason,
        sum(events) AS denials,
        coalesce(sum(events) FILTER (WHERE on_assumed_cell), 0) AS denials_on_assumed_cells
    FROM attempts
    WHERE outcome <> 'granted'
    GROUP BY ALL
)
SELECT
    CAST(c.year AS INTEGER) AS year,
    c.reason,
    CAST(c.denials AS BIGINT) AS denials,
    CAST(c.denials_on_assumed_cells AS BIGINT) AS denials_on_assumed_cells,
    CAST(t.attempts AS BIGINT) AS attempts,
    CAST(c.denials / t.attempts AS DOUBLE) AS share_of_attempts,
    CAST(c.denials / t.denials AS DOUBLE) AS share_of_denials
FROM counted AS c
JOIN totals AS t ON t.year = c.year
ORDER BY c.year, c.reason
