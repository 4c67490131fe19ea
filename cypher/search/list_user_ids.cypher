// Purpose: every user id in id order, one page at a time (the search backfill walks the whole graph).
// Parameters: $after_id (int; -1 for the start), $limit (int).
// Columns: id (int).
MATCH (u:User)
WHERE u.id > $after_id
RETURN u.id AS id
ORDER BY u.id
LIMIT $limit
