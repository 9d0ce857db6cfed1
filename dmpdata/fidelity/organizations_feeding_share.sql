-- metric: share of the structures of JDV_J02 type $facility_type that fed at least one document between $from and $to
-- value: share; n: structures
WITH fed AS (
    SELECT DISTINCT organization_id FROM documents
    WHERE submitted_at >= CAST($from AS TIMESTAMP) AND submitted_at < CAST($to AS TIMESTAMP)
)
SELECT avg((fed.organization_id IS NOT NULL)::INT)::DOUBLE AS value, count(*)::DOUBLE AS n
FROM organizations o LEFT JOIN fed USING (organization_id)
WHERE o.facility_type_code = $facility_type
