-- metric: share of the documents fed between $from and $to (excluded) that were sent from sector $sector
--         (reimbursement history excluded)
-- value: share; n: documents; se: standard error of the share with documents clustered on their author's structure
--        (the patient for documents a patient adds), as in document_type_share.sql
WITH clusters AS (
    SELECT coalesce('o' || CAST(organization_id AS VARCHAR), 'p' || CAST(patient_id AS VARCHAR)) AS cluster,
        sum((sector = $sector)::INT)::DOUBLE AS y, count(*)::DOUBLE AS n
    FROM documents
    WHERE author_kind <> 'assurance_maladie' AND submitted_at >= CAST($from AS TIMESTAMP) AND submitted_at < CAST($to AS TIMESTAMP)
    GROUP BY ALL
),
total AS (
    SELECT sum(y) / nullif(sum(n), 0) AS p, sum(n) AS n, count(*)::DOUBLE AS k FROM clusters
)
SELECT t.p AS value, t.n AS n,
    (sqrt(t.k / nullif(t.k - 1, 0) * sum((c.y - t.p * c.n) ^ 2)) / t.n)::DOUBLE AS se
FROM clusters AS c, total AS t
GROUP BY t.p, t.n, t.k
