// Purpose: benchmark dataset load: a batch of public posts with their POSTED edges, as
// posts/create_post makes them but without hashtags, mentions, media or outbox events.
// Parameters: $rows (list of [post id, author id, created_at ms, content]).
// Columns: created (int).
UNWIND $rows AS r
MATCH (a:User {id: r[1]})
CREATE (p:Post {
  id: r[0], author_id: r[1], content: r[3], visibility: 'public', media_ids: [], created_at: r[2],
  like_count: 0, comment_count: 0, share_count: 0
})
CREATE (a)-[:POSTED]->(p)
RETURN count(*) AS created
