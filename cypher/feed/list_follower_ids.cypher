// Purpose: one page of all of an author's followers (keyset on id), active or not: for removals and
// for invalidating caches, where skipping inactive users would leave stale entries behind.
// Parameters: $author_id (int), $after_id (int), $limit (int).
// Columns: ids (list of ints, ascending; one row, see list_active_follower_ids).
MATCH (f:User)-[:FOLLOWS]->(:User {id: $author_id})
WHERE f.id > $after_id
WITH f.id AS id ORDER BY id ASC LIMIT $limit
RETURN collect(id) AS ids
