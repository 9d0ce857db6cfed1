-- metric: documents fed to the DMP by professionals and patients per inhabitant between $from and $to (excluded)
--         (the Assurance Maladie's reimbursement history is not counted, as in the published volumes); groups as in
--         document_share.sql by type (prescriptions = drug prescriptions, as the published volumes count them)
-- value: documents per inhabitant over the window; n: inhabitants; se: standard error of the per-person mean
--        (documents cluster on people, so a Poisson error on the document count would be too optimistic)
WITH per_person AS (
    SELECT p.patient_id, count(d.document_id) AS docs
    FROM patients p
    LEFT JOIN documents d
      ON d.patient_id = p.patient_id AND d.author_kind <> 'assurance_maladie'
     AND d.submitted_at >= CAST($from AS TIMESTAMP) AND d.submitted_at < CAST($to AS TIMESTAMP)
     AND ($type_group = 'all' OR (CASE WHEN d.type_code = '11502-2' THEN 'biology'
                                       WHEN d.type_code IN ('57833-6', '75468-9') THEN 'prescriptions'
                                       WHEN d.class_code = '42' THEN 'other' WHEN d.class_code = '31' THEN 'imaging'
                                       WHEN d.sector = 'etablissement' THEN 'hospital' ELSE 'other' END) = $type_group)
    GROUP BY p.patient_id
)
SELECT avg(docs)::DOUBLE AS value, count(*)::DOUBLE AS n, (stddev_samp(docs) / sqrt(count(*)))::DOUBLE AS se
FROM per_person
