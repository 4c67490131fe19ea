// Purpose: who liked a post, newest like first (keyset pagination on (at, user id)), if the viewer may see it.
// Parameters: $post_id (int), $viewer_id (int), $before_at (int ms or null), $before_id (int or null), $limit.
// Columns: user (map), liked_at (int ms). No rows when the post is not visible to the viewer; likers in a
// block with the viewer are left out.
MATCH (v:User {id: $viewer_id}), (a:User)-[:POSTED]->(p:Post {id: $post_id})
WHERE NOT EXISTS { (a)-[:BLOCKS]-(v) }
  AND (p.visibility = 'public' OR a = v OR (p.visibility = 'followers' AND EXISTS { (v)-[:FOLLOWS]->(a) }))
MATCH (u:User)-[l:LIKED]->(p)
WHERE ($before_at IS NULL OR l.at < $before_at OR (l.at = $before_at AND u.id < $before_id))
  AND NOT EXISTS { (u)-[:BLOCKS]-(v) }
WITH u, l ORDER BY l.at DESC, u.id DESC LIMIT $limit
RETURN u {.id, .username, .display_name, .bio, .avatar_url, .follower_count, .following_count,
          .post_count, .created_at} AS user, l.at AS liked_at
