// Purpose: outbox events by id (the API publishes the events its own write created).
// Parameters: $ids (list of ints).
// Columns: event (map: id, type, post_id, actor_id, share_id, media_ids, visibility,
// user_id).
MATCH (e:OutboxEvent) WHERE e.id IN $ids
RETURN e {.id, .type, .post_id, .actor_id, .share_id, .media_ids, .visibility, .user_id, .post_ids} AS event
ORDER BY e.id
