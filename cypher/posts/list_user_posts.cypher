// Purpose: an author's own posts, newest first, as a viewer may see them (keyset pagination on id).
// Parameters: $user_id (int), $viewer_id (int), $before_id (int or null), $limit (int).
// Columns: post (map, with media: the attached media in order), author (map), is_liked (bool), is_shared (bool). No rows when a block stands
// between author and viewer.
MATCH (v:User {id: $viewer_id}), (a:User {id: $user_id})
WHERE NOT EXISTS { (a)-[:BLOCKS]-(v) }
WITH v, a, a = v AS own, EXISTS { (v)-[:FOLLOWS]->(a) } AS follows
MATCH (p:Post)
WHERE p.author_id = $user_id AND p.id < coalesce($before_id, 9223372036854775807)
  AND (p.visibility = 'public' OR own OR (p.visibility = 'followers' AND follows))
WITH v, a, p ORDER BY p.author_id DESC, p.id DESC LIMIT $limit
RETURN p {.id, .author_id, .content, .visibility, .media_ids, .created_at, .like_count, .comment_count,
          .share_count,
          media: COLLECT { MATCH (p)-[r:HAS_MEDIA]->(m:Media)
                           RETURN m {.id, .type, .width, .height, .duration, .blurhash, .original_key, .thumb_key}
                           ORDER BY r.position }} AS post,
       a {.id, .username, .display_name, .avatar_url} AS author,
       EXISTS { (v)-[:LIKED]->(p) } AS is_liked,
       EXISTS { (v)-[:SHARED]->(p) } AS is_shared
