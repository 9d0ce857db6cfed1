-- question: How many people have an open Mon espace santé profile, and how many activated it, month by month?
-- grain: one row per calendar month of the simulated period
-- params: none
-- definitions:
--   Months = every calendar month from the first to the last encounter start; each figure is taken at the end
--     of the month (its last day).
--   Population = people born on or before that day and not dead by then (death_date after it or null).
--   Open profile = mes_created_at on or before the day and not closed by then (mes_closed_at null or after it).
--   Activated profile = an open profile whose holder activated it (mes_activated_at on or before the day).
--   Opposed = mes_opposed_at on or before the day (cumulative refusals).
--   National figures = the latest point of the reference table mes_activation dated on or before the day
--     (published national shares; no interpolation).
-- columns:
--   month                      first day of the month
--   population                 people alive at the end of the month
--   open_profiles              people with an open profile
--   activated_profiles         people with an open, activated profile
--   opposed                    people who opposed the creation of their profile
--   share_open                 open_profiles / population
--   share_activated            activated_profiles / population
--   national_open_share        national share of open profiles (reference table, latest point)
--   national_activated_share   national share of activated profiles (reference table, latest point)
WITH months AS (
    SELECT CAST(unnest(generate_series(
        date_trunc('month', min(start_at)), date_trunc('month', max(start_at)), INTERVAL 1 MONTH
    )) AS DATE) AS month
    FROM encounters
),
ends AS (
    SELECT month, last_day(month) AS month_end FROM months
),
counted AS (
    SELECT
        m.month,
        m.month_end,
        count(*) FILTER (WHERE p.death_date IS NULL OR p.death_date > m.month_end) AS population,
        count(*) FILTER (
            WHERE p.mes_created_at <= m.month_end AND (p.mes_closed_at IS NULL OR p.mes_closed_at > m.month_end)
        ) AS open_profiles,
        count(*) FILTER (
            WHERE p.mes_activated_at <= m.month_end AND (p.mes_closed_at IS NULL OR p.mes_closed_at > m.month_end)
        ) AS activated_profiles,
        count(*) FILTER (WHERE p.mes_opposed_at <= m.month_end) AS opposed
    FROM ends AS m
    JOIN patients AS p ON p.birth_date <= m.month_end
    GROUP BY ALL
)
SELECT
    c.month,
    CAST(c.population AS BIGINT) AS population,
    CAST(c.open_profiles AS BIGINT) AS open_profiles,
    CAST(c.activated_profiles AS BIGINT) AS activated_profiles,
    CAST(c.opposed AS BIGINT) AS opposed,
    CAST(c.open_profiles / nullif(c.population, 0) AS DOUBLE) AS share_open,
    CAST(c.activated_profiles / nullif(c.population, 0) AS DOUBLE) AS share_activated,
    CAST(r.profiles_open_share AS DOUBLE) AS national_open_share,
    CAST(r.activated_share AS DOUBLE) AS national_activated_share
FROM counted AS c
ASOF LEFT JOIN ref_mes_activation AS r ON c.month_end >= r.date
ORDER BY c.month
