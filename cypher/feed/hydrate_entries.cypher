// Purpose: turn feed entry ids (post ids and share ids) into what the viewer sees, in the given order.
// Entries that are gone (deleted post, withdrawn share) or that the viewer may not see (visibility,
// blocks either way with the author or the sharer, muted author or sharer) are left out.
// Parameters: $ids (list of ints), $viewer_id (int).
// Columns: entries (one row: a list, in the given order, of maps with entry_id, post (map), author
// (map), is_liked, is_shared, shared_by (map or null), quote (string or null), shared_at (int ms or
// null)). One row because the Python driver costs ~100 µs per record; a list costs next to nothing.
MATCH (v:User {id: $viewer_id})
UNWIND range(0, size($ids) - 1) AS position
WITH v, position, $ids[position] AS entry_id
OPTIONAL MATCH (direct:Post {id: entry_id})
OPTIONAL MATCH (sharer:User)-[s:SHARED {id: entry_id}]->(shared:Post)
WITH v, position, entry_id, coalesce(direct, shared) AS p, s, sharer
WHERE p IS NOT NULL
MATCH (a:User)-[:POSTED]->(p)
WHERE NOT EXISTS { (a)-[:BLOCKS]-(v) }
  AND NOT EXISTS { (v)-[:MUTES]->(a) }
  AND (p.visibility = 'public' OR a = v OR (p.visibility = 'followers' AND EXISTS { (v)-[:FOLLOWS]->(a) }))
  AND (sharer IS NULL OR (NOT EXISTS { (sharer)-[:BLOCKS]-(v) } AND NOT EXISTS { (v)-[:MUTES]->(sharer) }))
WITH v, position, entry_id, p, a, s, sharer ORDER BY position
RETURN collect({
  entry_id: entry_id,
  post: p {.id, .author_id, .content, .visibility, .media_ids, .created_at, .like_count, .comment_count,
           .share_count,
           media: COLLECT { MATCH (p)-[r:HAS_MEDIA]->(m:Media)
                            RETURN m {.id, .type, .width, .height, .duration, .blurhash, .original_key, .thumb_key}
                            ORDER BY r.position }},
  author: a {.id, .username, .display_name, .avatar_url},
  is_liked: EXISTS { (v)-[:LIKED]->(p) },
  is_shared: EXISTS { (v)-[:SHARED]->(p) },
  shared_by: CASE WHEN sharer IS NULL THEN null ELSE sharer {.id, .username, .display_name, .avatar_url} END,
  quote: s.quote,
  shared_at: s.at
}) AS entries
