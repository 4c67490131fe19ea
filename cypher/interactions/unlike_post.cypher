// Purpose: $user_id takes back a like (idempotent); like_count re-derived under the post's lock. A removed
// like leaves a durable OutboxEvent 'post_unliked' (search counters).
// Parameters: $user_id (int), $post_id (int), $event_id (int), $now (int ms).
// Columns: removed (bool), like_count (int),
// counts (map: like_count, comment_count, share_count, counts_version: the version goes up by one in
// every transaction that may change a count, under the post's lock, so caches can order them). No row when the post or user does not exist.
MATCH (v:User {id: $user_id}), (p:Post {id: $post_id})
SET p._lock = true
WITH v, p
OPTIONAL MATCH (v)-[l:LIKED]->(p)
WITH v, p, collect(l) AS likes
FOREACH (l IN likes | DELETE l)
FOREACH (_ IN CASE WHEN size(likes) > 0 THEN [1] ELSE [] END |
  CREATE (:OutboxEvent {id: $event_id, type: 'post_unliked', post_id: p.id, actor_id: v.id, created_at: $now})
)
SET p.like_count = COUNT { (p)<-[:LIKED]-() }, p.counts_version = coalesce(p.counts_version, 0) + 1
REMOVE p._lock
RETURN size(likes) > 0 AS removed, p.like_count AS like_count, p {.like_count, .comment_count, .share_count, .counts_version} AS counts
