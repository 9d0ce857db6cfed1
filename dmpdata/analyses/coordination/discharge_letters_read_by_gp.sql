-- question: Share of hospital discharge letters read by the médecin traitant within 7 and 30 days
-- grain: one row per year of discharge
-- params: none
-- definitions:
--   Discharge letter = a document of type 11490-0 (lettre de liaison de sortie); each document_id (version) counts
--     as one letter. Year of discharge = year of the end of the stay (encounters.end_at of the letter's encounter;
--     the letter's created_at when it has no encounter).
--   Médecin traitant = the one in force (gp_declarations) on the day the letter reached the DMP.
--   A letter is read by someone when an access_events row with action = 'consult' and outcome = 'granted' by
--     that professional exists for it; the delay runs from the letter's submission to the DMP (submitted_at) to
--     that professional's first read; "within 7 days" = first read at most 7 × 24 h after submission.
--   Shares are over the letters of patients who have a médecin traitant. Letters submitted near the end of the
--     period had less time to be read.
-- columns:
--   discharge_year        year of discharge
--   letters               discharge letters fed to the DMP
--   letters_with_gp       letters of patients who have a médecin traitant
--   read_within_7d        letters first read by the médecin traitant within 7 days of submission
--   read_within_30d       letters first read by the médecin traitant within 30 days of submission
--   read_ever             letters read by the médecin traitant at any time
--   share_read_7d         read_within_7d / letters_with_gp
--   share_read_30d        read_within_30d / letters_with_gp
--   share_read_ever       read_ever / letters_with_gp
WITH letters AS (  -- derived table discharge_letters: one row per letter, with its first reads
    SELECT document_id, submitted_at, discharge_at, gp_professional_id, first_gp_read_at AS first_read_at
    FROM discharge_letters
),
counted AS (
    SELECT
        CAST(year(l.discharge_at) AS INTEGER) AS discharge_year,
        CAST(count(*) AS BIGINT) AS letters,
        CAST(count(l.gp_professional_id) AS BIGINT) AS letters_with_gp,
        CAST(count(*) FILTER (WHERE l.first_read_at <= l.submitted_at + INTERVAL 7 DAY) AS BIGINT) AS read_within_7d,
        CAST(count(*) FILTER (WHERE l.first_read_at <= l.submitted_at + INTERVAL 30 DAY) AS BIGINT) AS read_within_30d,
        CAST(count(l.first_read_at) AS BIGINT) AS read_ever
    FROM letters AS l
    GROUP BY ALL
)
SELECT
    *,
    CAST(read_within_7d / nullif(letters_with_gp, 0) AS DOUBLE) AS share_read_7d,
    CAST(read_within_30d / nullif(letters_with_gp, 0) AS DOUBLE) AS share_read_30d,
    CAST(read_ever / nullif(letters_with_gp, 0) AS DOUBLE) AS share_read_ever
FROM counted
ORDER BY discharge_year
