// Purpose: the next batch of active users (seen since $active_since), in id order, after $after_id:
// the friend-suggestion job walks every active user this way and checkpoints the last id.
// Parameters: $after_id (int), $active_since (int ms), $limit (int).
// Columns: user_id (int).
MATCH (u:User)
WHERE u.id > $after_id AND u.last_feed_read_ms >= $active_since
RETURN u.id AS user_id
ORDER BY u.id
LIMIT $limit
