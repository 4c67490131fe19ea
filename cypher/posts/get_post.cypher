// Purpose: one post as a viewer sees it. No row when it does not exist or the viewer may not see it
// (followers-only and not following, private and not the author, or a block either way).
// Parameters: $post_id (int), $viewer_id (int).
// Columns: post (map, with media: the attached media in order), author (map), is_liked (bool), is_shared (bool).
MATCH (v:User {id: $viewer_id}), (a:User)-[:POSTED]->(p:Post {id: $post_id})
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
