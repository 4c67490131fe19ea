// Purpose: switch an author between push (fan-out on write) and pull (read-time) delivery.
// Parameters: $author_id (int), $pull (bool), $now (int ms).
// Columns: pull_feed (bool).
MATCH (a:User {id: $author_id})
SET a.pull_feed = $pull, a.pull_since = CASE WHEN $pull THEN $now ELSE null END
RETURN a.pull_feed AS pull_feed
