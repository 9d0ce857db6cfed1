-- Derived tables of the dmpdata warehouse: aggregates of the dataset tables, computed once by
-- dmpdata.warehouse.derive(con) (run by dmpdata.warehouse.connect() after views.sql), so that the analyses of
-- dmpdata/analyses/ answer in well under a second on millions of patients. They read only the dataset tables:
-- derive() works on any connection holding them (a warehouse, or bare tables built from frames in the tests).
-- Every table states its grain; code columns keep the type of the column they come from (ENUM in the warehouse);
-- counts are BIGINT. Each is rebuilt (CREATE OR REPLACE) from the dataset tables: never edit them by hand.
-- Tables whose name starts with an underscore are scratch tables, dropped before derive() returns.
--
-- Batches of patients. A statement that uses $lo and $hi runs once per batch: derive() splits the patient_id range
-- of the dataset tables into batches [$lo, $hi) of about dmpdata.warehouse.DERIVE_BATCH_ROWS encounters each, runs
-- the statement as written for the first batch and as `INSERT INTO <its table> <its query>` for the others (so it
-- must be one `CREATE OR REPLACE [TEMP] TABLE <name> AS <query>`), all batches before the next statement. Each
-- batch's joins then fit in memory where one join over the whole dataset spills to disk (at 3 M patients,
-- encounter_counts took 51 s in one go and 23 s in five batches). Batching gives the same tables because a
-- document's encounter is the same patient's, and so is the document an access event consults (validation checks
-- both); counts over batches are summed afterwards, and only counts that add up across disjoint patients are.


-- scratch: documents per (encounter, document type) with their patient, shared by encounter_document_counts and
-- encounter_counts.
CREATE OR REPLACE TEMP TABLE _encounter_types AS
SELECT patient_id, encounter_id, type_code, count(*) AS documents
FROM documents
WHERE encounter_id IS NOT NULL AND patient_id >= $lo AND patient_id < $hi
GROUP BY ALL;


-- encounter_document_counts
-- grain: one row per (start_on, end_on, kind, activity, prescribes_drugs, type_code) of the encounters that have
--   at least one document (documents.encounter_id, any version) of type type_code; documents whose encounter_id
--   is not in encounters are left out.
-- columns: start_on, end_on (DATE of encounters.start_at / end_at), kind, activity, prescribes_drugs (of the
--   encounters), type_code (of the documents); encounters: encounters with at least one document of that type;
--   documents: documents of that type attached to those encounters (versions included).
CREATE OR REPLACE TEMP TABLE _encounter_document_counts AS
SELECT
    CAST(e.start_at AS DATE)                                         AS start_on,
    CAST(e.end_at AS DATE)                                           AS end_on,
    e.kind,
    e.activity,
    e.prescribes_drugs,
    t.type_code,
    count(*)                                                         AS encounters,
    CAST(sum(t.documents) AS BIGINT)                                 AS documents
FROM _encounter_types AS t
JOIN encounters AS e ON e.encounter_id = t.encounter_id
WHERE t.patient_id >= $lo AND t.patient_id < $hi AND e.patient_id >= $lo AND e.patient_id < $hi
GROUP BY ALL;

CREATE OR REPLACE TABLE encounter_document_counts AS
SELECT start_on, end_on, kind, activity, prescribes_drugs, type_code,
       CAST(sum(encounters) AS BIGINT) AS encounters, CAST(sum(documents) AS BIGINT) AS documents
FROM _encounter_document_counts
GROUP BY ALL;

DROP TABLE _encounter_document_counts;


-- encounter_counts
-- grain: one row per (start_on, end_on, kind, activity, prescribes_drugs, dmp_open) of encounters (every
--   encounter counts once).
-- columns: start_on, end_on (DATE of encounters.start_at / end_at), kind, activity, prescribes_drugs; dmp_open:
--   the patient's profile was created on or before end_on and not closed by then (mes_created_at <= end_on and
--   mes_closed_at null or after it), false when not, null when the patient is not in patients; encounters;
--   encounters_with_document: of which at least one document (any type, any version) has that encounter_id;
--   documents: documents attached to those encounters.
CREATE OR REPLACE TEMP TABLE _encounter_counts AS
WITH docs AS (
    SELECT encounter_id, sum(documents) AS documents
    FROM _encounter_types
    WHERE patient_id >= $lo AND patient_id < $hi
    GROUP BY encounter_id
)
SELECT
    CAST(e.start_at AS DATE)                                         AS start_on,
    CAST(e.end_at AS DATE)                                           AS end_on,
    e.kind,
    e.activity,
    e.prescribes_drugs,
    CASE WHEN p.patient_id IS NOT NULL THEN coalesce(
        p.mes_created_at <= CAST(e.end_at AS DATE)
        AND (p.mes_closed_at IS NULL OR p.mes_closed_at > CAST(e.end_at AS DATE)),
        false) END                                                   AS dmp_open,
    count(*)                                                         AS encounters,
    count(d.documents)                                               AS encounters_with_document,
    CAST(coalesce(sum(d.documents), 0) AS BIGINT)                    AS documents
FROM encounters AS e
LEFT JOIN (SELECT * FROM patients WHERE patient_id >= $lo AND patient_id < $hi) AS p ON p.patient_id = e.patient_id
LEFT JOIN docs AS d ON d.encounter_id = e.encounter_id
WHERE e.patient_id >= $lo AND e.patient_id < $hi
GROUP BY ALL;

CREATE OR REPLACE TABLE encounter_counts AS
SELECT start_on, end_on, kind, activity, prescribes_drugs, dmp_open, CAST(sum(encounters) AS BIGINT) AS encounters,
       CAST(sum(encounters_with_document) AS BIGINT) AS encounters_with_document,
       CAST(sum(documents) AS BIGINT) AS documents
FROM _encounter_counts
GROUP BY ALL;

DROP TABLE _encounter_counts;
DROP TABLE _encounter_types;


-- patient_years
-- grain: one row per (patient_id, year) with at least one encounter of the patient starting that year
--   (encounters.patient_id; the patient may be missing from patients).
-- columns: patient_id, year (INTEGER, of encounters.start_at); encounters; professionals: distinct professionals
--   (present in professionals) who carried out those encounters (encounters.professional_id), 0 when none is
--   known; multi_sector: those professionals belong to 2 or more care sectors (professionals.sector).
CREATE OR REPLACE TABLE patient_years AS
SELECT
    e.patient_id,
    CAST(year(e.start_at) AS INTEGER)                                AS year,
    count(*)                                                         AS encounters,
    CAST(len(list_distinct(list(p.professional_id))) AS BIGINT)      AS professionals,
    coalesce(min(p.sector) <> max(p.sector), false)                  AS multi_sector
FROM encounters AS e
LEFT JOIN professionals AS p ON p.professional_id = e.professional_id
WHERE e.patient_id >= $lo AND e.patient_id < $hi
GROUP BY ALL;


-- scratch: granted consultations (access_events action = 'consult', outcome = 'granted') of a document present in
-- documents, with the document's author, sector and type; shared by the four tables below.
CREATE OR REPLACE TEMP TABLE _reads AS
SELECT
    a.document_id,
    a.patient_id,
    a.occurred_at,
    a.actor_professional_id                                          AS reader_professional_id,
    d.author_professional_id,
    d.sector                                                         AS document_sector,
    d.type_code
FROM access_events AS a
JOIN documents AS d ON d.document_id = a.document_id
WHERE a.action = 'consult' AND a.outcome = 'granted'
  AND a.patient_id >= $lo AND a.patient_id < $hi AND d.patient_id >= $lo AND d.patient_id < $hi;


-- sharing_pairs
-- grain: one row per (author_professional_id, reader_professional_id) pair of professionals such that the reader
--   has a granted consultation (access_events action = 'consult', outcome = 'granted') of a document written by
--   the author (documents.author_professional_id, not null), reader ≠ author.
-- columns: author_professional_id, reader_professional_id; consultations: those granted consultations; documents:
--   distinct documents (document_id) read; patients: distinct patients (access_events.patient_id).
CREATE OR REPLACE TABLE sharing_pairs AS
SELECT
    author_professional_id,
    reader_professional_id,
    count(*)                                                         AS consultations,
    count(DISTINCT document_id)                                      AS documents,
    count(DISTINCT patient_id)                                       AS patients
FROM _reads
WHERE author_professional_id IS NOT NULL AND reader_professional_id <> author_professional_id
GROUP BY ALL;


-- sector_reads
-- grain: one row per (document_sector, reader_sector) with at least one granted consultation (access_events
--   action = 'consult', outcome = 'granted') of a document by a professional (present in professionals) other
--   than its author (documents without a professional author included).
-- columns: document_sector (documents.sector), reader_sector (professionals.sector of the reader); consultations;
--   documents: distinct documents read; readers: distinct reading professionals.
CREATE OR REPLACE TABLE sector_reads AS
SELECT
    r.document_sector,
    p.sector                                                         AS reader_sector,
    count(*)                                                         AS consultations,
    count(DISTINCT r.document_id)                                    AS documents,
    count(DISTINCT r.reader_professional_id)                         AS readers
FROM _reads AS r
JOIN professionals AS p ON p.professional_id = r.reader_professional_id
WHERE r.reader_professional_id IS DISTINCT FROM r.author_professional_id
GROUP BY ALL;


-- discharge_letters
-- grain: one row per discharge letter: a document of type 11490-0 (lettre de liaison de sortie; each document_id,
--   i.e. each version, counts) of a patient present in patients.
-- columns: document_id, patient_id, author_professional_id, submitted_at; discharge_at: end of the stay
--   (encounters.end_at of the letter's encounter, the letter's created_at when it has none); gp_professional_id:
--   the patient's médecin traitant (null when none); first_gp_read_at: first granted consultation of the letter by
--   the médecin traitant; first_other_read_at: first granted consultation by anyone other than the letter's author
--   (null: never read).
CREATE OR REPLACE TABLE discharge_letters AS
WITH letters AS (
    SELECT
        d.document_id,
        d.patient_id,
        d.author_professional_id,
        d.submitted_at,
        coalesce(e.end_at, d.created_at)                             AS discharge_at,
        pt.gp_professional_id
    FROM documents AS d
    JOIN patients AS pt ON pt.patient_id = d.patient_id
    LEFT JOIN encounters AS e ON e.encounter_id = d.encounter_id
    WHERE d.type_code = '11490-0'
),
reads AS (
    SELECT
        l.document_id,
        min(r.occurred_at) FILTER (WHERE r.reader_professional_id = l.gp_professional_id) AS first_gp_read_at,
        min(r.occurred_at) FILTER (
            WHERE r.reader_professional_id IS DISTINCT FROM l.author_professional_id
        )                                                            AS first_other_read_at
    FROM letters AS l
    JOIN _reads AS r ON r.document_id = l.document_id
    WHERE r.type_code = '11490-0'
    GROUP BY l.document_id
)
SELECT l.*, r.first_gp_read_at, r.first_other_read_at
FROM letters AS l
LEFT JOIN reads AS r ON r.document_id = l.document_id;


-- lab_reports
-- grain: one row per lab report: a document of type 11502-2 (CR d'examens biologiques; each document_id counts) of
--   a patient present in patients.
-- columns: document_id, patient_id, author_professional_id (the laboratory), submitted_at;
--   presc_bio_prescriber_id: author of the PRESC-BIO document (prescription d'examen de biologie) of the same
--   encounter (the smallest id when several), null when none was fed; prescriber_id: that prescriber, else the
--   patient's médecin traitant (null when neither exists); read_by_prescriber: a granted consultation of the
--   report by prescriber_id; read_by_other: a granted consultation by a professional who is neither prescriber_id
--   nor the author.
CREATE OR REPLACE TABLE lab_reports AS
WITH presc_bio AS (
    SELECT encounter_id, min(author_professional_id) AS prescriber_id
    FROM documents
    WHERE type_code = 'PRESC-BIO' AND encounter_id IS NOT NULL
    GROUP BY encounter_id
),
reports AS (
    SELECT
        d.document_id,
        d.patient_id,
        d.author_professional_id,
        d.submitted_at,
        pb.prescriber_id                                             AS presc_bio_prescriber_id,
        coalesce(pb.prescriber_id, pt.gp_professional_id)            AS prescriber_id
    FROM documents AS d
    JOIN patients AS pt ON pt.patient_id = d.patient_id
    LEFT JOIN presc_bio AS pb ON pb.encounter_id = d.encounter_id
    WHERE d.type_code = '11502-2'
),
reads AS (
    SELECT
        p.document_id,
        bool_or(r.reader_professional_id = p.prescriber_id)          AS by_prescriber,
        bool_or(
            r.reader_professional_id IS DISTINCT FROM p.prescriber_id
            AND r.reader_professional_id IS DISTINCT FROM p.author_professional_id
        )                                                            AS by_other
    FROM reports AS p
    JOIN _reads AS r ON r.document_id = p.document_id
    WHERE r.type_code = '11502-2'
    GROUP BY p.document_id
)
SELECT
    p.*,
    coalesce(x.by_prescriber, false)                                 AS read_by_prescriber,
    coalesce(x.by_other, false)                                      AS read_by_other
FROM reports AS p
LEFT JOIN reads AS x ON x.document_id = p.document_id;

DROP TABLE _reads;


-- consultation_months
-- grain: one row per (month, profession_code, channel) with at least one consultation attempt (access_events
--   action = 'consult', granted or denied) by a professional present in professionals.
-- columns: month (DATE, first day of the month of occurred_at), profession_code (of the reader), channel;
--   attempts; granted: attempts with outcome 'granted'; professionals: distinct professionals consulting;
--   patients: distinct patients whose DMP was consulted.
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


-- document_months
-- grain: one row per (month, type_code, class_code, sector, residence_region, masked_ps) of documents (every
--   document version counts once).
-- columns: month (DATE, first day of the month of submitted_at), type_code, class_code, sector (documents.sector,
--   the author's), residence_region (of the patient; null when the patient is not in patients), masked_ps (the
--   document is masked at the end of the period); documents.
CREATE OR REPLACE TABLE document_months AS
SELECT
    CAST(date_trunc('month', d.submitted_at) AS DATE)                AS month,
    d.type_code,
    d.class_code,
    d.sector,
    p.residence_region,
    d.masked_ps,
    count(*)                                                         AS documents
FROM documents AS d
LEFT JOIN patients AS p ON p.patient_id = d.patient_id
GROUP BY ALL;


-- author_months
-- grain: one row per (month, author_professional_id) with at least one document (documents.author_professional_id,
--   not null; every version counts) submitted that month.
-- columns: month (DATE, first day of the month of submitted_at), author_professional_id; documents.
CREATE OR REPLACE TABLE author_months AS
SELECT
    CAST(date_trunc('month', submitted_at) AS DATE)                  AS month,
    author_professional_id,
    count(*)                                                         AS documents
FROM documents
WHERE author_professional_id IS NOT NULL
GROUP BY ALL;


-- access_counts
-- grain: one row per (year, action, access_mode, outcome) of access events (every event counts once).
-- columns: year (INTEGER, of access_events.occurred_at), action, access_mode (null for the actions that have
--   none), outcome; events.
CREATE OR REPLACE TABLE access_counts AS
SELECT
    CAST(year(occurred_at) AS INTEGER)                               AS year,
    action,
    access_mode,
    outcome,
    count(*)                                                         AS events
FROM access_events
GROUP BY ALL;


-- access_patient_years
-- grain: one row per (patient_id, year) in which the patient (access_events.patient_id) viewed documents
--   (action 'view'), viewed the history of accesses (action 'view_history') or had their DMP consulted in an
--   emergency (action 'consult', access_mode 'bris_de_glace' or 'centre_15', granted or denied).
-- columns: patient_id, year (INTEGER, of occurred_at); view_events, view_history_events, emergency_consults: those
--   events (0 when none that year).
CREATE OR REPLACE TABLE access_patient_years AS
SELECT
    patient_id,
    CAST(year(occurred_at) AS INTEGER)                               AS year,
    count(*) FILTER (WHERE action = 'view')                          AS view_events,
    count(*) FILTER (WHERE action = 'view_history')                  AS view_history_events,
    count(*) FILTER (WHERE action = 'consult')                       AS emergency_consults
FROM access_events
WHERE action IN ('view', 'view_history')
   OR (action = 'consult' AND access_mode IN ('bris_de_glace', 'centre_15'))
GROUP BY ALL;


-- document_masking
-- grain: one row per document (present in documents) with at least one mask or unmask event (access_events action
--   'mask', 'unmask') or a consultation denied because the document is masked (action 'consult', outcome
--   'denied_masked').
-- columns: document_id, patient_id, type_code, class_code (of documents); masks, unmasks, denied_masked: those
--   events (0 when none).
CREATE OR REPLACE TABLE document_masking AS
SELECT
    a.document_id,
    d.patient_id,
    d.type_code,
    d.class_code,
    count(*) FILTER (WHERE a.action = 'mask')                        AS masks,
    count(*) FILTER (WHERE a.action = 'unmask')                      AS unmasks,
    count(*) FILTER (WHERE a.action = 'consult')                     AS denied_masked
FROM access_events AS a
JOIN documents AS d ON d.document_id = a.document_id
WHERE a.action IN ('mask', 'unmask') OR (a.action = 'consult' AND a.outcome = 'denied_masked')
GROUP BY ALL;


-- diabetic_observations
-- grain: one row per observation of LOINC 4548-4 (HbA1c), 14682-9 (creatinine) or 14959-1 (albuminuria) of a
--   patient with a type 2 diabetes condition (conditions.condition_code 'E11', whatever its onset date).
-- columns: observation_id, patient_id, encounter_id, effective_at, loinc_code, value (of observations).
CREATE OR REPLACE TABLE diabetic_observations AS
SELECT o.observation_id, o.patient_id, o.encounter_id, o.effective_at, o.loinc_code, o.value
FROM observations AS o
WHERE o.loinc_code IN ('4548-4', '14682-9', '14959-1')
  AND o.patient_id IN (SELECT patient_id FROM conditions WHERE condition_code = 'E11');


-- diabetic_eye_exam_years
-- grain: one row per (patient_id, year) in which a patient with a type 2 diabetes condition (conditions
--   condition_code 'E11', whatever its onset date) had an encounter (encounters.start_at that year) with an
--   ophthalmologist (professionals.specialty_code 'SM38').
-- columns: patient_id, year (INTEGER).
CREATE OR REPLACE TABLE diabetic_eye_exam_years AS
SELECT DISTINCT e.patient_id, CAST(year(e.start_at) AS INTEGER) AS year
FROM encounters AS e
WHERE e.professional_id IN (SELECT professional_id FROM professionals WHERE specialty_code = 'SM38')
  AND e.patient_id IN (SELECT patient_id FROM conditions WHERE condition_code = 'E11');
