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
-- Each figure counts the patients for whom some day (birth, birth and death, …) falls on or before the end of the
-- month: one pass over patients gives, per kind of day, how many patients reach it in each calendar month; a
-- running total over the months gives the counts (a person alive = born, minus born and dead by then).
marks AS (  -- per patient, the first day each condition holds (null: never)
    SELECT
        birth_date AS born,
        CASE WHEN death_date IS NOT NULL THEN greatest(birth_date, death_date) END AS born_dead,
        CASE WHEN mes_created_at IS NOT NULL THEN greatest(birth_date, mes_created_at) END AS created,
        CASE WHEN mes_created_at IS NOT NULL AND mes_closed_at IS NOT NULL
            THEN greatest(birth_date, mes_created_at, mes_closed_at) END AS created_closed,
        CASE WHEN mes_activated_at IS NOT NULL THEN greatest(birth_date, mes_activated_at) END AS activated,
        CASE WHEN mes_activated_at IS NOT NULL AND mes_closed_at IS NOT NULL
            THEN greatest(birth_date, mes_activated_at, mes_closed_at) END AS activated_closed,
        CASE WHEN mes_opposed_at IS NOT NULL THEN greatest(birth_date, mes_opposed_at) END AS opposed
    FROM patients
    WHERE birth_date IS NOT NULL
),
reached AS (  -- patients reaching each mark, per calendar month of the day they reach it
    SELECT mark, CAST(date_trunc('month', day) AS DATE) AS month, count(*) AS patients
    FROM (
        UNPIVOT marks
        ON born, born_dead, created, created_closed, activated, activated_closed, opposed
        INTO NAME mark VALUE day
    )
    GROUP BY ALL
),
running AS (  -- patients who reached each mark by the end of each month
    SELECT
        m.month,
        m.month_end,
        coalesce(sum(r.patients) FILTER (WHERE r.mark = 'born'), 0) AS born,
        coalesce(sum(r.patients) FILTER (WHERE r.mark = 'born_dead'), 0) AS born_dead,
        coalesce(sum(r.patients) FILTER (WHERE r.mark = 'created'), 0) AS created,
        coalesce(sum(r.patients) FILTER (WHERE r.mark = 'created_closed'), 0) AS created_closed,
        coalesce(sum(r.patients) FILTER (WHERE r.mark = 'activated'), 0) AS activated,
        coalesce(sum(r.patients) FILTER (WHERE r.mark = 'activated_closed'), 0) AS activated_closed,
        coalesce(sum(r.patients) FILTER (WHERE r.mark = 'opposed'), 0) AS opposed
    FROM ends AS m
    LEFT JOIN reached AS r ON r.month <= m.month
    GROUP BY ALL
),
counted AS (
    SELECT
        month,
        month_end,
        CAST(born - born_dead AS BIGINT) AS population,
        CAST(created - created_closed AS BIGINT) AS open_profiles,
        CAST(activated - activated_closed AS BIGINT) AS activated_profiles,
        CAST(opposed AS BIGINT) AS opposed
    FROM running
    WHERE born > 0  -- as a join of months with the patients born by then: months before any birth have no row
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
