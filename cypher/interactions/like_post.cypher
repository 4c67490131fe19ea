// Purpose: $user_id likes $post_id (idempotent) if the post is visible to them. like_count is re-derived
// from the LIKED relationships under the post's write lock, taken first, so it is exact under any
// number of concurrent likes (readers are never blocked by that lock). A new like leaves a durable
// OutboxEvent 'post_liked' (search counters and trending).
// Parameters: $user_id (int), $post_id (int), $event_id (int), $now (int ms).
// Columns: visible (bool), created (bool: a new like), like_count (int),
// counts (map: like_count, comment_count, share_count, counts_version: the version goes up by one in
// every transaction that may change a count, under the post's lock, so caches can order them). No row when the post or user does not exist.
MATCH (v:User {id: $user_id}), (a:User)-[:POSTED]->(p:Post {id: $post_id})
SET p._lock = true
WITH v, a, p, NOT EXISTS { (a)-[:BLOCKS]-(v) }
  AND (p.visibility = 'public' OR a = v OR (p.visibility = 'followers' AND EXISTS { (v)-[:FOLLOWS]->(a) }))
  AS visible
// Under the post's lock no other like of this pair can slip in between this check and the CREATE.
WITH v, p, visible, visible AND NOT EXISTS { (v)-[:LIKED]->(p) } AS created
FOREACH (_ IN CASE WHEN created THEN [1] ELSE [] END |
  CREATE (v)-[:LIKED {at: $now}]->(p)
  CREATE (:OutboxEvent {id: $event_id, type: 'post_liked', post_id: p.id, actor_id: v.id, created_at: $now})
)
SET p.like_count = COUNT { (p)<-[:LIKED]-() }, p.counts_version = coalesce(p.counts_version, 0) + 1
REMOVE p._lock
RETURN visible, created, p.like_count AS like_count, p {.like_count, .comment_count, .share_count, .counts_version} AS counts
