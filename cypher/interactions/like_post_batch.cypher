// Purpose: a batch of likes of $post_id in one transaction (group commit of concurrent likes): the post's
// write lock is taken once, then each liker is checked exactly as in like_post.cypher (blocks either
// way, followers-only) and gets a LIKED edge unless one exists; like_count is re-derived once, under the
// lock, so it is exact. Each new like leaves a durable OutboxEvent 'post_liked' (search counters,
// trending, notifications). A user listed twice is one like (the first listed event id is used).
// Parameters: $post_id (int), $likes (list of maps {user_id: int, event_id: int}, not empty), $now (int ms).
// Columns: like_count (int),
// counts (map: like_count, comment_count, share_count, counts_version: the version goes up by one in
// every transaction that may change a count, under the post's lock, so caches can order them).
// likes (list of maps {user_id, visible: bool, created: bool: a new like,
// event_id: the OutboxEvent written when created}), one entry per distinct user. No row when the post
// does not exist; a user who does not exist is not visible.
MATCH (a:User)-[:POSTED]->(p:Post {id: $post_id})
SET p._lock = true
WITH a, p
UNWIND $likes AS like
// One row per distinct user: a second like of the same user in the batch must not create a second edge.
WITH a, p, like.user_id AS user_id, collect(like.event_id)[0] AS event_id
OPTIONAL MATCH (v:User {id: user_id})
WITH a, p, v, user_id, event_id, v IS NOT NULL AND NOT EXISTS { (a)-[:BLOCKS]-(v) }
  AND (p.visibility = 'public' OR a = v OR (p.visibility = 'followers' AND EXISTS { (v)-[:FOLLOWS]->(a) }))
  AS visible
// Under the post's lock no other like of this pair can slip in between this check and the CREATE.
WITH p, v, user_id, event_id, visible, visible AND NOT EXISTS { (v)-[:LIKED]->(p) } AS created
FOREACH (_ IN CASE WHEN created THEN [1] ELSE [] END |
  CREATE (v)-[:LIKED {at: $now}]->(p)
  CREATE (:OutboxEvent {id: event_id, type: 'post_liked', post_id: p.id, actor_id: v.id, created_at: $now})
)
// The aggregation ends every row's writes before the count is taken.
WITH p, collect({user_id: user_id, visible: visible, created: created, event_id: event_id}) AS likes
SET p.like_count = COUNT { (p)<-[:LIKED]-() }, p.counts_version = coalesce(p.counts_version, 0) + 1
REMOVE p._lock
RETURN p.like_count AS like_count, likes, p {.like_count, .comment_count, .share_count, .counts_version} AS counts
