// Purpose: outbox events not yet relayed to the Redis stream, oldest first. The relay only takes events
// older than $older_than_ms: younger ones are normally published by the API process that wrote them.
// Parameters: $older_than_ms (int ms), $limit (int).
// Columns: event (map: id, type, post_id, actor_id, share_id, media_ids, visibility,
// user_id).
MATCH (e:OutboxEvent)
WHERE e.created_at <= $older_than_ms
WITH e ORDER BY e.created_at ASC LIMIT $limit
RETURN e {.id, .type, .post_id, .actor_id, .share_id, .media_ids, .visibility, .user_id, .post_ids} AS event
