// Purpose: mark a batch of benchmark users as having just read their feed, so that fan-out treats them
// as active (feed/fanout.py pushes only to followers active within FEEDGRAPH_ACTIVE_DAYS).
// Parameters: $ids (list of user ids), $now (int ms).
// Columns: touched (int).
UNWIND $ids AS id
MATCH (u:User {id: id})
SET u.last_feed_read_ms = $now
RETURN count(*) AS touched
