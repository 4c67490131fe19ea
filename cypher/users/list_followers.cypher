// Purpose: who follows a user, newest follow first, one page (keyset pagination on (created_at, id)).
// Parameters: $user_id (int), $viewer_id (int), $before_at (int ms or null), $before_id (int or null), $limit (int).
// Columns: user (map), followed_at (int ms). No rows when the user blocks the viewer; accounts in a
// block with the viewer are left out.
MATCH (u:User {id: $user_id}), (v:User {id: $viewer_id})
WHERE NOT EXISTS { (u)-[:BLOCKS]->(v) }
MATCH (f:User)-[r:FOLLOWS]->(u)
WHERE ($before_at IS NULL OR r.created_at < $before_at OR (r.created_at = $before_at AND f.id < $before_id))
  AND NOT EXISTS { (f)-[:BLOCKS]-(v) }
WITH f, r ORDER BY r.created_at DESC, f.id DESC LIMIT $limit
RETURN f {.id, .username, .display_name, .bio, .avatar_url, .follower_count, .following_count,
          .post_count, .created_at} AS user, r.created_at AS followed_at
