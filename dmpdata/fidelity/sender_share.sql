-- metric: share of the documents fed between $from and $to (excluded) that were sent from sector $sector
--         (reimbursement history excluded)
-- value: share; n: documents
SELECT avg((sector = $sector)::INT)::DOUBLE AS value, count(*)::DOUBLE AS n
FROM documents
WHERE author_kind <> 'assurance_maladie' AND submitted_at >= CAST($from AS TIMESTAMP) AND submitted_at < CAST($to AS TIMESTAMP)
