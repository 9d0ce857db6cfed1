-- question: How long after its submission is a hospital discharge letter first read, by the médecin traitant and by any other professional?
-- grain: one row per delay band (six bands, always all present)
-- params: none
-- definitions:
--   Discharge letter = a document of type 11490-0, each document_id (version) counting once; only letters of
--     patients who had a médecin traitant when the letter reached the DMP (gp_declarations, via discharge_letters)
--     are counted, so both columns share one denominator.
--   Read = an access_events row with action = 'consult' and outcome = 'granted' for the letter. Delay = first
--     read − submitted_at. "Any professional" excludes the letter's author (re-reading one's own letter is not
--     sharing) and includes the médecin traitant.
--   Bands include their upper bound: within 1 day (≤ 24 h), 1-7 days (> 1 and ≤ 7 days), 7-30 days, 30-90 days,
--     over 90 days, never read (by the end of the data; recent letters had less time).
-- columns:
--   delay_band            label of the band
--   band_order            1..6, to sort the bands
--   letters_by_gp         letters whose first read by the médecin traitant falls in the band
--   share_by_gp           letters_by_gp / all letters counted
--   letters_by_any        letters whose first read by any professional other than the author falls in the band
--   share_by_any          letters_by_any / all letters counted
WITH bands(band_order, delay_band) AS (
    VALUES (1, 'within 1 day'), (2, '1-7 days'), (3, '7-30 days'), (4, '30-90 days'),
           (5, 'over 90 days'), (6, 'never read')
),
first_reads AS (  -- derived table discharge_letters: one row per letter, with its first reads
    SELECT
        submitted_at,
        first_gp_read_at,
        first_other_read_at AS first_any_read_at
    FROM discharge_letters
    WHERE gp_professional_id IS NOT NULL
),
banded AS (
    SELECT
        CASE
            WHEN first_gp_read_at IS NULL THEN 6
            WHEN first_gp_read_at <= submitted_at + INTERVAL 1 DAY THEN 1
            WHEN first_gp_read_at <= submitted_at + INTERVAL 7 DAY THEN 2
            WHEN first_gp_read_at <= submitted_at + INTERVAL 30 DAY THEN 3
            WHEN first_gp_read_at <= submitted_at + INTERVAL 90 DAY THEN 4
            ELSE 5
        END AS gp_band,
        CASE
            WHEN first_any_read_at IS NULL THEN 6
            WHEN first_any_read_at <= submitted_at + INTERVAL 1 DAY THEN 1
            WHEN first_any_read_at <= submitted_at + INTERVAL 7 DAY THEN 2
            WHEN first_any_read_at <= submitted_at + INTERVAL 30 DAY THEN 3
            WHEN first_any_read_at <= submitted_at + INTERVAL 90 DAY THEN 4
            ELSE 5
        END AS any_band
    FROM first_reads
),
total AS (SELECT count(*) AS n FROM banded),
by_gp AS (SELECT gp_band AS band_order, count(*) AS n FROM banded GROUP BY gp_band),
by_any AS (SELECT any_band AS band_order, count(*) AS n FROM banded GROUP BY any_band)
SELECT
    b.delay_band,
    CAST(b.band_order AS INTEGER) AS band_order,
    CAST(coalesce(g.n, 0) AS BIGINT) AS letters_by_gp,
    CAST(coalesce(g.n, 0) / nullif(total.n, 0) AS DOUBLE) AS share_by_gp,
    CAST(coalesce(x.n, 0) AS BIGINT) AS letters_by_any,
    CAST(coalesce(x.n, 0) / nullif(total.n, 0) AS DOUBLE) AS share_by_any
FROM bands AS b
CROSS JOIN total
LEFT JOIN by_gp AS g ON g.band_order = b.band_order
LEFT JOIN by_any AS x ON x.band_order = b.band_order
ORDER BY b.band_order
