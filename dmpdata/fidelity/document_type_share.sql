-- metric: share of a group of documents among those fed between $from and $to (excluded), reimbursement history excluded:
--         biology = lab reports (11502-2); prescriptions = class 42; imaging = class 31; hospital = other documents
--         written in établissements
-- value: share; n: documents
WITH d AS (
    SELECT CASE WHEN type_code = '11502-2' THEN 'biology' WHEN class_code = '42' THEN 'prescriptions'
                WHEN class_code = '31' THEN 'imaging' WHEN sector = 'etablissement' THEN 'hospital' ELSE 'other' END AS grp
    FROM documents
    WHERE author_kind <> 'assurance_maladie' AND submitted_at >= CAST($from AS TIMESTAMP) AND submitted_at < CAST($to AS TIMESTAMP)
)
SELECT avg((grp = $type_group)::INT)::DOUBLE AS value, count(*)::DOUBLE AS n FROM d
