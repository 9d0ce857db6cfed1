-- question: How many times do professionals consult the DMP each month, by profession and access channel?
-- grain: one row per month × profession × channel (combinations with at least one attempt)
-- params: none
-- definitions:
--   A consultation attempt = an access_events row with action = 'consult' (always by a professional), granted or
--     denied. Channel = access_events.channel: lps (DMP-compatible professional software) or web_ps (the
--     professional web portal). Profession = professionals.profession_code of the actor.
-- columns:
--   month              first day of the month
--   profession_code    TRE_G15 profession code of the reader
--   profession_label   its label
--   channel            lps or web_ps
--   attempts           consultation attempts
--   granted            attempts granted
--   denied             attempts denied (any reason)
--   share_granted      granted / attempts
--   professionals      distinct professionals consulting
--   patients           distinct patients whose DMP was consulted
WITH counted AS (  -- derived table consultation_months: attempts per month, profession and channel
    SELECT
        month,
        CAST(profession_code AS VARCHAR) AS profession_code,
        CAST(channel AS VARCHAR) AS channel,
        attempts,
        granted,
        professionals,
        patients
    FROM consultation_months
)
SELECT
    c.month,
    c.profession_code,
    pr.label AS profession_label,
    c.channel,
    CAST(c.attempts AS BIGINT) AS attempts,
    CAST(c.granted AS BIGINT) AS granted,
    CAST(c.attempts - c.granted AS BIGINT) AS denied,
    CAST(c.granted / c.attempts AS DOUBLE) AS share_granted,
    CAST(c.professionals AS BIGINT) AS professionals,
    CAST(c.patients AS BIGINT) AS patients
FROM counted AS c
LEFT JOIN ref_professions AS pr ON pr.profession_code = c.profession_code
ORDER BY c.month, c.profession_code, c.channel
