// Purpose: every post id in id order, one page at a time (the search backfill walks the whole graph).
// Parameters: $after_id (int; -1 for the start), $limit (int).
// Columns: id (int).
MATCH (p:Post)
WHERE p.id > $after_id
RETURN p.id AS id
ORDER BY p.id
LIMIT $limit
