// Purpose: $user_id likes $post_id (idempotent) if the post is visible to them. like_count is re-derived
// from the LIKED relationships under the post's write lock, taken first, so it is exact under any
// number of concurrent likes (readers are never blocked by that lock).
// Parameters: $user_id (int), $post_id (int), $now (int ms).
// Columns: visible (bool), like_count (int). No row when the post or user does not exist.
MATCH (v:User {id: $user_id}), (a:User)-[:POSTED]->(p:Post {id: $post_id})
SET p._lock = true
WITH v, a, p, NOT EXISTS { (a)-[:BLOCKS]-(v) }
  AND (p.visibility = 'public' OR a = v OR (p.visibility = 'followers' AND EXISTS { (v)-[:FOLLOWS]->(a) }))
  AS visible
FOREACH (_ IN CASE WHEN visible THEN [1] ELSE [] END |
  MERGE (v)-[l:LIKED]->(p) ON CREATE SET l.at = $now
)
SET p.like_count = COUNT { (p)<-[:LIKED]-() }
REMOVE p._lock
RETURN visible, p.like_count AS like_count
