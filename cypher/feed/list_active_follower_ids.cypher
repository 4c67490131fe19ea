// Purpose: one batch of an author's followers who read their feed since $active_since (keyset on id).
// Fan-out pushes only to them; the others get their timeline rebuilt from the graph when they return.
// Parameters: $author_id (int), $active_since (int ms), $after_id (int), $limit (int).
// Columns: id (int), ascending.
MATCH (f:User)-[:FOLLOWS]->(:User {id: $author_id})
WHERE f.id > $after_id AND f.last_feed_read_ms >= $active_since
RETURN f.id AS id
ORDER BY id ASC
LIMIT $limit
