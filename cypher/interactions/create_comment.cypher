// Purpose: $user_id comments on $post_id if the post is visible to them and no block stands between them
// and the author; comment_count re-derived under the post's lock. A durable OutboxEvent 'comment_created'
// goes with it (search counters and trending).
// Parameters: $comment_id (int), $user_id (int), $post_id (int), $content, $event_id (int), $now (int ms).
// Columns: visible (bool), comment (map or null), author (map), comment_count (int),
// counts (map: like_count, comment_count, share_count, counts_version: the version goes up by one in
// every transaction that may change a count, under the post's lock, so caches can order them).
//
// No row when the post or user does not exist.
MATCH (v:User {id: $user_id}), (a:User)-[:POSTED]->(p:Post {id: $post_id})
SET p._lock = true
WITH v, a, p, NOT EXISTS { (a)-[:BLOCKS]-(v) }
  AND (p.visibility = 'public' OR a = v OR (p.visibility = 'followers' AND EXISTS { (v)-[:FOLLOWS]->(a) }))
  AS visible
CALL (v, p, visible) {
  WITH v, p WHERE visible
  CREATE (v)-[:WROTE]->(c:Comment {id: $comment_id, post_id: p.id, author_id: v.id, content: $content,
                                   created_at: $now})-[:ON]->(p)
  CREATE (:OutboxEvent {id: $event_id, type: 'comment_created', post_id: p.id, actor_id: v.id,
                        created_at: $now})
  RETURN c
  UNION
  WITH visible WHERE NOT visible
  RETURN null AS c
}
SET p.comment_count = COUNT { (:Comment)-[:ON]->(p) }, p.counts_version = coalesce(p.counts_version, 0) + 1
REMOVE p._lock
RETURN visible, c {.id, .post_id, .author_id, .content, .created_at} AS comment,
       v {.id, .username, .display_name, .avatar_url} AS author, p.comment_count AS comment_count,
       p {.like_count, .comment_count, .share_count, .counts_version} AS counts
