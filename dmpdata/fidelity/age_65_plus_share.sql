-- metric: share of people aged 65 or more at the period's start
-- value: share; n: people
SELECT avg((date_diff('year', birth_date, period_start) - (strftime(period_start, '%m%d') < strftime(birth_date, '%m%d'))::INT >= 65)::INT)::DOUBLE AS value,
       count(*)::DOUBLE AS n
FROM patients, dmpdata_meta WHERE birth_date < period_start
