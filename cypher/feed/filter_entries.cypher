// Purpose: the per-viewer half of a feed page: which of the given entry ids (post ids and share ids)
// the viewer may see, in the given order, and which of those posts the viewer liked or shared.
// Entries that are gone (deleted post, withdrawn share) or hidden (visibility, a block either way with
// the author or the sharer, a muted author or sharer) are left out. What every viewer sees alike
// (content, counts, media, profiles) comes from the post cache (cache/post_cards.py), or from
// feed/entry_cards.cypher on a miss.
// Parameters: $ids (list of ints), $viewer_id (int).
// Columns (one row): visible (list of entry ids, in the given order), liked (list of post ids),
// shared (list of post ids), shares (list of [entry_id, post_id, sharer_id, quote, shared_at] for the
// visible entries that are reposts). Flat lists, not one map per entry: the Python driver spends
// per value, and this query runs on every feed read.
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
WITH v, position, entry_id, p, s, sharer ORDER BY position
WITH collect(entry_id) AS visible,
     collect(CASE WHEN EXISTS { (v)-[:LIKED]->(p) } THEN p.id END) AS liked,
     collect(CASE WHEN EXISTS { (v)-[:SHARED]->(p) } THEN p.id END) AS shared,
     collect(CASE WHEN s IS NOT NULL THEN [entry_id, p.id, sharer.id, s.quote, s.at] END) AS shares
RETURN visible, liked, shared, shares
