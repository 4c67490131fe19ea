// Purpose: a post's comments, oldest first (keyset pagination on id), if the viewer may see the post.
// Comments by users who block the viewer, or whom the viewer blocks, are left out.
// Parameters: $post_id (int), $viewer_id (int), $after_id (int or null), $limit (int).
// Columns: comment (map), author (map). No rows when the post is not visible to the viewer.
MATCH (v:User {id: $viewer_id}), (a:User)-[:POSTED]->(p:Post {id: $post_id})
WHERE NOT EXISTS { (a)-[:BLOCKS]-(v) }
  AND (p.visibility = 'public' OR a = v OR (p.visibility = 'followers' AND EXISTS { (v)-[:FOLLOWS]->(a) }))
MATCH (w:User)-[:WROTE]->(c:Comment)-[:ON]->(p)
WHERE ($after_id IS NULL OR c.id > $after_id) AND NOT EXISTS { (w)-[:BLOCKS]-(v) }
WITH w, c ORDER BY c.id ASC LIMIT $limit
RETURN c {.id, .post_id, .author_id, .content, .created_at} AS comment,
       w {.id, .username, .display_name, .avatar_url} AS author
