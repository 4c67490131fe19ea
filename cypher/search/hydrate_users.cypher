// Purpose: user search hits turned into profiles, re-checked against the graph: users in a block with
// the viewer (either direction) are dropped.
// Parameters: $ids (list of user ids), $viewer_id (int).
// Columns: user (map), is_following (bool), follows_you (bool); one row per remaining user, in no
// particular order.
MATCH (v:User {id: $viewer_id})
UNWIND $ids AS id
MATCH (u:User {id: id})
WHERE NOT EXISTS { (u)-[:BLOCKS]-(v) }
RETURN u {.id, .username, .display_name, .bio, .avatar_url, .follower_count, .following_count,
          .post_count, .created_at} AS user,
       EXISTS { (v)-[:FOLLOWS]->(u) } AS is_following,
       EXISTS { (u)-[:FOLLOWS]->(v) } AS follows_you
