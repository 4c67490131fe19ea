// Purpose: which of $user_ids are active (seen since $active_since), in id order: a scoped run of the
// friend-suggestion job (given users only).
// Parameters: $user_ids (list of int), $active_since (int ms).
// Columns: user_id (int).
MATCH (u:User)
WHERE u.id IN $user_ids AND u.last_feed_read_ms >= $active_since
RETURN u.id AS user_id
ORDER BY u.id
