-- grain: one row per (month, profession_code, channel) with at least one consultation attempt (access_events
--   action = 'consult', granted or denied) by a professional present in professionals.
-- reads: access_events, professionals
-- columns:
--   month             DATE, first day of the month of occurred_at
--   profession_code   profession of the reader
--   channel           access_events.channel
--   attempts          consultation attempts
--   granted           attempts with outcome 'granted'
--   professionals     distinct professionals consulting
--   patients          distinct patients whose DMP was consulted
CREATE OR REPLACE TABLE consultation_months AS
SELECT
    CAST(date_trunc('month', a.occurred_at) AS DATE)                 AS month,
    p.profession_code,
    a.channel,
    count(*)                                                         AS attempts,
    count(*) FILTER (WHERE a.outcome = 'granted')                    AS granted,
    count(DISTINCT a.actor_professional_id)                          AS professionals,
    count(DISTINCT a.patient_id)                                     AS patients
FROM access_events AS a
JOIN professionals AS p ON p.professional_id = a.actor_professional_id
WHERE a.action = 'consult'
GROUP BY ALL;
