// Purpose: up to $limit of an author's followers in no order, only those who read their feed since
// $active_since unless it is null. Without the sort of the keyset pages (list_active_follower_ids,
// about 40% of their cost at 50k followers), and the scan stops at $limit: fan-out reads an author's
// followers with it when they fit in one page (asking for one more than a page tells).
// Parameters: $author_id (int), $active_since (int ms or null), $limit (int).
// Columns: ids (list of ints, unordered; one row, see list_active_follower_ids).
MATCH (f:User)-[:FOLLOWS]->(:User {id: $author_id})
WHERE $active_since IS NULL OR f.last_feed_read_ms >= $active_since
WITH f.id AS id LIMIT $limit
RETURN collect(id) AS ids
