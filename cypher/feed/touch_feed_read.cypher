// Purpose: record that a user read their feed (activity drives fan-out and scheduled jobs).
// Parameters: $user_id (int), $now (int ms).
// Columns: none.
MATCH (u:User {id: $user_id})
SET u.last_feed_read_ms = $now
