// Purpose: a user's public profile as seen by a viewer; no row when the user blocks the viewer
// (a blocker can still look at the accounts they block).
// Parameters: $user_id (int), $viewer_id (int).
// Columns: user (map), is_following (bool: viewer follows user), follows_you (bool), is_blocked (bool: viewer
// blocks user), is_muted (bool).
MATCH (u:User {id: $user_id}), (v:User {id: $viewer_id})
WHERE NOT EXISTS { (u)-[:BLOCKS]->(v) }
RETURN u {.id, .username, .display_name, .bio, .avatar_url, .follower_count, .following_count,
          .post_count, .created_at} AS user,
       EXISTS { (v)-[:FOLLOWS]->(u) } AS is_following,
       EXISTS { (u)-[:FOLLOWS]->(v) } AS follows_you,
       EXISTS { (v)-[:BLOCKS]->(u) } AS is_blocked,
       EXISTS { (v)-[:MUTES]->(u) } AS is_muted
