// Purpose: events put on this stream ($origin) at least $older_than_ms ago, oldest first, with the run id
// of the Redis process that took them (the relay forgets them, or publishes them again if that process
// is gone). Other deployments' events (another stream sharing the graph) are theirs to settle.
// Parameters: $origin (string), $older_than_ms (int ms), $limit (int).
// Columns: event (map: id, type, post_id, actor_id, share_id, media_ids, visibility, user_id,
// post_ids), run_id (string).
MATCH (e:PublishedEvent)
WHERE e.origin = $origin AND e.published_at <= $older_than_ms
WITH e ORDER BY e.published_at ASC LIMIT $limit
RETURN e {.id, .type, .post_id, .actor_id, .share_id, .media_ids, .visibility, .user_id, .post_ids} AS event,
       e.run_id AS run_id
