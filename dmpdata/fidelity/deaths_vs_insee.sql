-- metric: deaths observed in the period over the deaths expected from the INSEE life table (ref_mortality: qx by
-- exact age and sex, as a constant force of mortality -ln(1 - qx) within each year of age, ages above 104 at 104)
-- over the person-years lived in the period, cut by calendar year and by birthday (age in full years)
-- value: ratio (1 when deaths follow the life table); n: deaths expected; se: √observed / expected (Poisson)
WITH m AS (SELECT period_start AS ps, period_end + 1 AS pe FROM dmpdata_meta),
years AS (SELECT unnest(range(year(ps), year(pe - 1) + 1)) AS y FROM m),
spans AS (  -- each person's time in the period within calendar year y: [s, e)
    SELECT
        CAST(p.sex AS VARCHAR) AS sex,
        p.birth_date AS b,
        CAST(y.y AS INTEGER) AS y,
        greatest(p.birth_date, m.ps, make_date(CAST(y.y AS INTEGER), 1, 1)) AS s,
        least(coalesce(p.death_date, m.pe), m.pe, make_date(CAST(y.y AS INTEGER) + 1, 1, 1)) AS e
    FROM patients p, m, years y
),
cut AS (  -- the birthday of year y splits the span into two ages
    SELECT sex, y, s, e, year(b) AS birth_year, CAST(b + to_years(y - year(b)) AS DATE) AS bday FROM spans WHERE e > s
),
pieces AS (
    SELECT sex, y - birth_year - 1 AS age, s AS lo, least(e, bday) AS hi FROM cut
    UNION ALL
    SELECT sex, y - birth_year AS age, greatest(s, bday) AS lo, e AS hi FROM cut
),
person_years AS (
    SELECT sex, least(age, 104) AS age, sum(datediff('day', lo, hi)) / 365.25 AS years
    FROM pieces WHERE hi > lo GROUP BY ALL
),
expected AS (
    SELECT sum(py.years * -ln(1 - least(r.qx, 0.999999))) AS deaths
    FROM person_years py JOIN ref_mortality r ON r.age = py.age AND r.sex = py.sex
),
observed AS (
    SELECT count(*) AS deaths FROM patients p, m WHERE p.death_date >= m.ps AND p.death_date < m.pe
)
SELECT (o.deaths / nullif(e.deaths, 0))::DOUBLE AS value, e.deaths::DOUBLE AS n, (sqrt(o.deaths) / nullif(e.deaths, 0))::DOUBLE AS se
FROM observed o, expected e
