// Purpose: delete a comment, allowed to its author and to the post's author; comment_count re-derived. A
// durable OutboxEvent 'comment_deleted' goes with it (search counters).
// Parameters: $comment_id (int), $user_id (int: who asks), $event_id (int), $now (int ms).
// Columns: allowed (bool), comment_count (int), post_id (int),
// counts (map: like_count, comment_count, share_count, counts_version: the version goes up by one in
// every transaction that may change a count, under the post's lock, so caches can order them). No row when the comment does not exist.
MATCH (w:User)-[:WROTE]->(c:Comment {id: $comment_id})-[:ON]->(p:Post)<-[:POSTED]-(a:User)
SET p._lock = true
WITH c, p, w.id = $user_id OR a.id = $user_id AS allowed
FOREACH (_ IN CASE WHEN allowed THEN [1] ELSE [] END |
  DETACH DELETE c
  CREATE (:OutboxEvent {id: $event_id, type: 'comment_deleted', post_id: p.id, actor_id: $user_id,
                        created_at: $now})
)
WITH p, allowed
SET p.comment_count = COUNT { (:Comment)-[:ON]->(p) }, p.counts_version = coalesce(p.counts_version, 0) + 1
REMOVE p._lock
RETURN allowed, p.comment_count AS comment_count, p.id AS post_id, p {.like_count, .comment_count, .share_count, .counts_version} AS counts
