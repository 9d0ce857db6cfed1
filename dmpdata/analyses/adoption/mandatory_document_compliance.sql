-- question: Of the encounters that legally required a document in the DMP, how many got one, by document type and year?
-- grain: one row per mandatory type_code × encounter kind × year (of the encounter end), with at least one encounter requiring it
-- params: none
-- definitions:
--   Mandatory documents = reference table mandatory_documents (type_code, obligation_start); a type listed
--     several times takes its earliest obligation_start.
--   An encounter requires a document of a mandatory type when its kind produces that type according to the
--     reference table document_rules (encounter_kind → type_code; rules restricted to an activity apply to that
--     activity only; 'prescription' rules only to encounters with prescribes_drugs) and it ends (end_at) on or
--     after the day the obligation starts.
--   SIMPLIFICATION: the legal scopes are not modelled (e.g. "hors séjour hospitalier" for prescriptions, "when
--     dematerialised", documents due only when actually written such as referral letters or certificates,
--     which the rules produce for a few visits only), and the yearly volet de synthèse médicale (60591-5, no
--     encounter) is not covered. Read low shares for such types accordingly.
--   Fed = at least one document of that type (any version) whose encounter_id is the encounter.
-- columns:
--   type_code                  mandatory document type
--   type_label                 its label (reference table document_types)
--   obligation_start           first day the obligation applies
--   encounter_kind             kind of the encounters requiring it
--   year                       year the encounters ended
--   encounters_requiring       encounters that required a document of that type
--   encounters_with_document   of which at least one such document was fed
--   share_fed                  encounters_with_document / encounters_requiring
--   documents_fed              documents of that type fed for those encounters (versions included)
WITH obligations AS (
    SELECT type_code, min(obligation_start) AS obligation_start
    FROM ref_mandatory_documents
    GROUP BY type_code
),
rules AS (
    SELECT DISTINCT r.encounter_kind, r.activity, r."when", r.type_code, o.obligation_start
    FROM ref_document_rules AS r
    JOIN obligations AS o ON o.type_code = r.type_code
),
-- Encounters collapse to (kind, activity, prescribes_drugs, day) groups before meeting the rules (derived tables
-- encounter_counts and encounter_document_counts hold them).
encounter_groups AS (
    SELECT CAST(kind AS VARCHAR) AS encounter_kind, CAST(activity AS VARCHAR) AS activity, prescribes_drugs,
        end_on AS end_day, sum(encounters) AS encounters
    FROM encounter_counts
    GROUP BY ALL
),
required AS (
    SELECT DISTINCT g.encounter_kind, g.activity, g.prescribes_drugs, g.end_day, g.encounters, ru.type_code,
        ru.obligation_start
    FROM encounter_groups AS g
    JOIN rules AS ru
        ON g.encounter_kind = ru.encounter_kind
       AND (ru.activity IS NULL OR g.activity = ru.activity)
       AND (ru."when" <> 'prescription' OR g.prescribes_drugs)
    WHERE g.end_day >= ru.obligation_start
),
required_counts AS (
    SELECT type_code, obligation_start, encounter_kind, year(end_day) AS year, sum(encounters) AS encounters_requiring
    FROM required
    GROUP BY ALL
),
fed_groups AS (  -- encounters with at least one document of a mandatory type, and those documents
    SELECT CAST(type_code AS VARCHAR) AS type_code, CAST(kind AS VARCHAR) AS encounter_kind,
        CAST(activity AS VARCHAR) AS activity, prescribes_drugs, end_on AS end_day, sum(encounters) AS encounters,
        sum(documents) AS documents
    FROM encounter_document_counts
    WHERE CAST(type_code AS VARCHAR) IN (SELECT type_code FROM obligations)
    GROUP BY ALL
),
fed_required AS (
    SELECT DISTINCT f.type_code, f.encounter_kind, f.activity, f.prescribes_drugs, f.end_day, f.encounters,
        f.documents, ru.obligation_start
    FROM fed_groups AS f
    JOIN rules AS ru
        ON ru.type_code = f.type_code
       AND f.encounter_kind = ru.encounter_kind
       AND (ru.activity IS NULL OR f.activity = ru.activity)
       AND (ru."when" <> 'prescription' OR f.prescribes_drugs)
    WHERE f.end_day >= ru.obligation_start
),
fed_counts AS (
    SELECT type_code, obligation_start, encounter_kind, year(end_day) AS year,
        sum(encounters) AS encounters_with_document, sum(documents) AS documents_fed
    FROM fed_required
    GROUP BY ALL
),
counted AS (
    SELECT q.type_code, q.obligation_start, q.encounter_kind, q.year, q.encounters_requiring,
        coalesce(f.encounters_with_document, 0) AS encounters_with_document,
        coalesce(f.documents_fed, 0) AS documents_fed
    FROM required_counts AS q
    LEFT JOIN fed_counts AS f USING (type_code, obligation_start, encounter_kind, year)
)
SELECT
    c.type_code,
    t.label AS type_label,
    c.obligation_start,
    c.encounter_kind,
    CAST(c.year AS INTEGER) AS year,
    CAST(c.encounters_requiring AS BIGINT) AS encounters_requiring,
    CAST(c.encounters_with_document AS BIGINT) AS encounters_with_document,
    CAST(c.encounters_with_document / c.encounters_requiring AS DOUBLE) AS share_fed,
    CAST(c.documents_fed AS BIGINT) AS documents_fed
FROM counted AS c
LEFT JOIN ref_document_types AS t ON t.type_code = c.type_code
ORDER BY c.type_code, c.encounter_kind, c.year
