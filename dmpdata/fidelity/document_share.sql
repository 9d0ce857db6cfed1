-- metric: share of the documents fed between $from and $to (excluded), reimbursement history excluded, that fall in
--         $group when documents are grouped $by:
--         by = 'type': biology = lab reports (11502-2); prescriptions = drug prescriptions (57833-6 prescription de
--           produits de santé, 75468-9 renouvellement par le pharmacien), what the published volumes count, the other
--           class-42 prescriptions (lab, nursing, imaging requests…) counting as other; imaging = class 31; hospital =
--           other documents written in établissements; other;
--         by = 'sector': the sender's sector (documents.sector: ville, etablissement, medico_social, patient).
-- value: share; n: documents; se: standard error of the share with documents clustered on their author's structure
--        (the patient for documents a patient adds): a structure feeds all its documents or none, so a binomial error
--        on the document count would be too optimistic when a dataset holds few structures of a kind
WITH d AS (
    SELECT coalesce('o' || CAST(organization_id AS VARCHAR), 'p' || CAST(patient_id AS VARCHAR)) AS cluster,
        CASE WHEN $by = 'sector' THEN CAST(sector AS VARCHAR)
             WHEN type_code = '11502-2' THEN 'biology' WHEN type_code IN ('57833-6', '75468-9') THEN 'prescriptions'
             WHEN class_code = '42' THEN 'other' WHEN class_code = '31' THEN 'imaging'
             WHEN sector = 'etablissement' THEN 'hospital' ELSE 'other' END AS grp
    FROM documents
    WHERE author_kind <> 'assurance_maladie' AND submitted_at >= CAST($from AS TIMESTAMP) AND submitted_at < CAST($to AS TIMESTAMP)
),
clusters AS (
    SELECT cluster, sum((grp = $group)::INT)::DOUBLE AS y, count(*)::DOUBLE AS n FROM d GROUP BY cluster
),
total AS (
    SELECT sum(y) / nullif(sum(n), 0) AS p, sum(n) AS n, count(*)::DOUBLE AS k FROM clusters
)
SELECT t.p AS value, t.n AS n,
    (sqrt(t.k / nullif(t.k - 1, 0) * sum((c.y - t.p * c.n) ^ 2)) / t.n)::DOUBLE AS se
FROM clusters AS c, total AS t
GROUP BY t.p, t.n, t.k
