// Purpose: one page of an author's followers who read their feed since $active_since (keyset on id).
// Fan-out pushes only to them; the others get their timeline rebuilt from the graph when they return.
// Parameters: $author_id (int), $active_since (int ms), $after_id (int), $limit (int).
// Columns: ids (list of ints, ascending): one row, because the Python driver costs ~100 µs per record
// and a list costs next to nothing (10k ids: ~1 s as rows, ~40 ms as one list).
MATCH (f:User)-[:FOLLOWS]->(:User {id: $author_id})
WHERE f.id > $after_id AND f.last_feed_read_ms >= $active_since
WITH f.id AS id ORDER BY id ASC LIMIT $limit
RETURN collect(id) AS ids
