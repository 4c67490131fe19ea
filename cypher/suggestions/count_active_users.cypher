// Purpose: how many users were seen since $active_since and come after $after_id (progress total).
// Parameters: $after_id (int), $active_since (int ms).
// Columns: users (int).
MATCH (u:User)
WHERE u.id > $after_id AND u.last_feed_read_ms >= $active_since
RETURN count(u) AS users
