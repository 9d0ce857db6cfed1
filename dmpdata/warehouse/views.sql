-- Analysis views of the dmpdata warehouse, created by dmpdata.warehouse.connect() after the tables, the
-- reference tables (ref_<name>) and dmpdata_meta. Every view states its grain. Times are naive local times
-- (TIMESTAMP, French wall clock); code columns keep their ENUM types (compare them with plain strings).
-- Joins are LEFT JOINs: a view has exactly the rows of its driving table.


-- consultations
-- grain: one row per consultation attempt of a patient's DMP by a professional (access_events with
--        actor_kind = 'professional' and action = 'consult'), granted or denied.
-- columns: the trace (event_id, occurred_at, occurred_on, occurred_month, patient_id, document_id, access_mode,
--   channel, auth_mode, outcome, granted); the reader (professional_id, profession_code, specialty_code,
--   reader_sector, reader_organization_id, reader_department); the document read (type_code, class_code,
--   document_sector, author_professional_id, document_organization_id, submitted_at; all null when the attempt
--   concerned no document, e.g. denied_no_dmp); the patient's médecin traitant that day (gp_professional_id, from
--   gp_declarations; null when none); is_gp: the reader is the patient's médecin traitant that day; is_author: the
--   reader wrote the document (both false, never null, when unknown).
CREATE OR REPLACE VIEW consultations AS
SELECT
    e.event_id,
    e.occurred_at,
    CAST(e.occurred_at AS DATE)                                      AS occurred_on,
    CAST(date_trunc('month', e.occurred_at) AS DATE)                 AS occurred_month,
    e.patient_id,
    e.document_id,
    e.access_mode,
    e.channel,
    e.auth_mode,
    e.outcome,
    e.outcome = 'granted'                                            AS granted,
    e.actor_professional_id                                          AS professional_id,
    r.profession_code,
    r.specialty_code,
    r.sector                                                         AS reader_sector,
    r.organization_id                                                AS reader_organization_id,
    r.department                                                     AS reader_department,
    d.type_code,
    d.class_code,
    d.sector                                                         AS document_sector,
    d.author_professional_id,
    d.organization_id                                                AS document_organization_id,
    d.submitted_at,
    g.professional_id                                                AS gp_professional_id,
    coalesce(e.actor_professional_id = g.professional_id, false)     AS is_gp,
    coalesce(e.actor_professional_id = d.author_professional_id, false) AS is_author
FROM access_events AS e
LEFT JOIN professionals AS r ON r.professional_id = e.actor_professional_id
LEFT JOIN documents     AS d ON d.document_id = e.document_id
-- a patient's declarations do not overlap (integrity check gp_declarations_do_not_overlap): one match at most
LEFT JOIN gp_declarations AS g ON g.patient_id = e.patient_id
    AND g.declared_from <= CAST(e.occurred_at AS DATE)
    AND (g.declared_until IS NULL OR g.declared_until >= CAST(e.occurred_at AS DATE))
WHERE e.actor_kind = 'professional' AND e.action = 'consult';


-- documents_enriched
-- grain: one row per document version fed to the DMP (= documents).
-- columns: every column of documents, plus submitted_on / submitted_month (DATE), the patient's
--   residence_department and residence_region, and the author's author_profession_code and author_specialty_code
--   (null when the author is the patient or the Assurance Maladie).
CREATE OR REPLACE VIEW documents_enriched AS
SELECT
    d.*,
    CAST(d.submitted_at AS DATE)                                     AS submitted_on,
    CAST(date_trunc('month', d.submitted_at) AS DATE)                AS submitted_month,
    p.residence_department,
    p.residence_region,
    a.profession_code                                                AS author_profession_code,
    a.specialty_code                                                 AS author_specialty_code
FROM documents AS d
LEFT JOIN patients      AS p ON p.patient_id = d.patient_id
LEFT JOIN professionals AS a ON a.professional_id = d.author_professional_id;


-- diabetics
-- grain: one row per patient with type 2 diabetes (conditions.condition_code = 'E11').
-- columns: patient_id, onset_date (start of the diabetes), ald (holds the ALD exemption), birth_date, sex,
--   death_date (null = alive at the end of the period), gp_professional_id (médecin traitant, may be null),
--   residence_department, residence_region.
CREATE OR REPLACE VIEW diabetics AS
SELECT
    c.patient_id,
    c.onset_date,
    c.ald,
    p.birth_date,
    p.sex,
    p.death_date,
    p.gp_professional_id,
    p.residence_department,
    p.residence_region
FROM conditions AS c
LEFT JOIN patients AS p ON p.patient_id = c.patient_id
WHERE c.condition_code = 'E11';


-- months
-- grain: one row per calendar month of the scenario period (dmpdata_meta.period_start .. period_end, from the
--   manifest), the partial first and last months included.
-- columns: month (DATE, first day of the month), month_end (DATE, last day), year, month_of_year (1-12),
--   days (number of days of the month inside the period: the first and last months may be partial).
CREATE OR REPLACE VIEW months AS
WITH period AS (SELECT period_start, period_end FROM dmpdata_meta),
cal AS (
    SELECT CAST(m AS DATE) AS month
    FROM period, range(date_trunc('month', period_start), period_end + INTERVAL 1 DAY, INTERVAL 1 MONTH) AS t(m)
)
SELECT
    cal.month,
    CAST(last_day(cal.month) AS DATE)                                AS month_end,
    CAST(year(cal.month) AS INTEGER)                                 AS year,
    CAST(month(cal.month) AS INTEGER)                                AS month_of_year,
    CAST(date_diff('day', greatest(cal.month, period.period_start),
                   least(last_day(cal.month), period.period_end)) + 1 AS INTEGER) AS days
FROM cal, period
ORDER BY cal.month;
