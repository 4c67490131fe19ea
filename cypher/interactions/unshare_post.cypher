// Purpose: $user_id takes back a repost (idempotent); share_count re-derived under the post's lock, and
// a durable OutboxEvent lets the sharer's followers' feeds drop it.
// Parameters: $user_id (int), $post_id (int), $event_id (int), $now (int ms).
// Columns: removed (bool), share_count (int), share_ids (list of the withdrawn share ids),
// counts (map: like_count, comment_count, share_count, counts_version: the version goes up by one in
// every transaction that may change a count, under the post's lock, so caches can order them). No row when the post or user does not exist.
MATCH (v:User {id: $user_id}), (p:Post {id: $post_id})
SET p._lock = true
WITH v, p
OPTIONAL MATCH (v)-[s:SHARED]->(p)
WITH v, p, collect(s) AS shares, collect(s.id) AS share_ids
FOREACH (s IN shares |
  CREATE (:OutboxEvent {id: $event_id, type: 'post_unshared', post_id: p.id, share_id: s.id,
                        actor_id: v.id, created_at: $now})
  DELETE s
)
SET p.share_count = COUNT { (p)<-[:SHARED]-() }, p.counts_version = coalesce(p.counts_version, 0) + 1
REMOVE p._lock
RETURN size(shares) > 0 AS removed, p.share_count AS share_count, share_ids, p {.like_count, .comment_count, .share_count, .counts_version} AS counts
