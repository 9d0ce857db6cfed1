-- question: Are lab reports read by professionals other than the one who prescribed the test?
-- grain: one row per year of submission of the lab report
-- params: none
-- definitions:
--   Lab report = a document of type 11502-2 (CR d'examens biologiques); each document_id (version) counts once.
--   Prescriber of the test = the author of the PRESC-BIO document (prescription d'examen de biologie) of the same
--     encounter when one was fed to the DMP, else the patient's médecin traitant in force when the report reached the DMP (gp_declarations);
--     unknown when neither exists.
--   Read = an access_events row with action = 'consult' and outcome = 'granted' for the report. "Other" = a
--     professional who is neither the prescriber nor the report's author (the laboratory).
-- columns:
--   year                          year the report was submitted to the DMP
--   lab_reports                   lab reports fed
--   prescriber_from_presc_bio     reports whose prescriber comes from a PRESC-BIO document
--   prescriber_from_gp            reports whose prescriber is taken to be the médecin traitant
--   read_by_prescriber            reports read by their prescriber
--   read_by_other                 reports read by at least one other professional
--   share_read_by_prescriber      read_by_prescriber / lab_reports
--   share_read_by_other           read_by_other / lab_reports
WITH counted AS (  -- derived table lab_reports: one row per report, its prescriber and who read it
    SELECT
        CAST(year(submitted_at) AS INTEGER) AS year,
        CAST(count(*) AS BIGINT) AS lab_reports,
        CAST(count(presc_bio_prescriber_id) AS BIGINT) AS prescriber_from_presc_bio,
        CAST(count(*) FILTER (WHERE presc_bio_prescriber_id IS NULL AND prescriber_id IS NOT NULL) AS BIGINT)
            AS prescriber_from_gp,
        CAST(count(*) FILTER (WHERE read_by_prescriber) AS BIGINT) AS read_by_prescriber,
        CAST(count(*) FILTER (WHERE read_by_other) AS BIGINT) AS read_by_other
    FROM lab_reports
    GROUP BY ALL
)
SELECT
    *,
    CAST(read_by_prescriber / lab_reports AS DOUBLE) AS share_read_by_prescriber,
    CAST(read_by_other / lab_reports AS DOUBLE) AS share_read_by_other
FROM counted
ORDER BY year
