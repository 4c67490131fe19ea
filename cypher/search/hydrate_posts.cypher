// Purpose: search hits turned into posts as the viewer sees them, re-checked against the graph (the
// index may lag: a post deleted or a block made a moment ago is dropped here).
// Parameters: $ids (list of post ids), $viewer_id (int).
// Columns: post (map, with media: the attached media in order, as in posts/get_post), author (map),
// is_liked (bool), is_shared (bool); one row per visible post, in no particular order.
MATCH (v:User {id: $viewer_id})
UNWIND $ids AS id
MATCH (a:User)-[:POSTED]->(p:Post {id: id})
WHERE NOT EXISTS { (a)-[:BLOCKS]-(v) }
  AND (p.visibility = 'public' OR a = v OR (p.visibility = 'followers' AND EXISTS { (v)-[:FOLLOWS]->(a) }))
RETURN p {.id, .author_id, .content, .visibility, .media_ids, .created_at, .like_count, .comment_count,
          .share_count,
          media: COLLECT { MATCH (p)-[r:HAS_MEDIA]->(m:Media)
                           RETURN m {.id, .type, .width, .height, .duration, .blurhash, .original_key, .thumb_key}
                           ORDER BY r.position }} AS post,
       a {.id, .username, .display_name, .avatar_url} AS author,
       EXISTS { (v)-[:LIKED]->(p) } AS is_liked,
       EXISTS { (v)-[:SHARED]->(p) } AS is_shared
