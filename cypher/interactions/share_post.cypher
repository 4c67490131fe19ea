// Purpose: $user_id reposts $post_id (idempotent), optionally with a quote. Only public posts can be
// shared (sharing a followers-only or private post would show it to people its author did not choose).
// A new share leaves a durable OutboxEvent so that the sharer's followers get it in their feeds.
// Parameters: $user_id (int), $post_id (int), $share_id (int), $quote (string or null), $event_id (int),
// $now (int ms).
// Columns: visible (bool), shareable (bool), created (bool), share_count (int),
// counts (map: like_count, comment_count, share_count, counts_version: the version goes up by one in
// every transaction that may change a count, under the post's lock, so caches can order them).
//
// No row when the post or user does not exist.
MATCH (v:User {id: $user_id}), (a:User)-[:POSTED]->(p:Post {id: $post_id})
SET p._lock = true
WITH v, a, p, NOT EXISTS { (a)-[:BLOCKS]-(v) }
  AND (p.visibility = 'public' OR a = v OR (p.visibility = 'followers' AND EXISTS { (v)-[:FOLLOWS]->(a) }))
  AS visible
WITH v, p, visible, visible AND p.visibility = 'public' AS shareable,
     EXISTS { (v)-[:SHARED]->(p) } AS existed
FOREACH (_ IN CASE WHEN shareable AND NOT existed THEN [1] ELSE [] END |
  CREATE (v)-[:SHARED {id: $share_id, at: $now, quote: $quote}]->(p)
  CREATE (:OutboxEvent {id: $event_id, type: 'post_shared', post_id: p.id, share_id: $share_id,
                        actor_id: v.id, visibility: 'public', created_at: $now})
)
SET p.share_count = COUNT { (p)<-[:SHARED]-() }, p.counts_version = coalesce(p.counts_version, 0) + 1
REMOVE p._lock
RETURN visible, shareable, shareable AND NOT existed AS created, p.share_count AS share_count,
       p {.like_count, .comment_count, .share_count, .counts_version} AS counts
