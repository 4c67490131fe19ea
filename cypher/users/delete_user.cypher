// Purpose: delete an account and everything it made: its posts (with their comments), its comments,
// likes and shares of others' posts, follows both ways, blocks, mutes, its notifications and devices.
// Every node whose counters change is write-locked first and its counters re-derived at the end, so
// they stay exact. Its media are marked 'deleting' and one durable OutboxEvent 'user_deleted' lists
// the deleted posts and media for the consumers (search drops the documents, media the objects).
// Parameters: $user_id (int), $event_id (int), $now (int ms).
// Columns: post_ids (list of ints), media_ids (list of ints), recounted_ids (others' posts whose
// counts changed; their counts_version goes up). No row when the user does not exist.
MATCH (u:User {id: $user_id})
SET u._lock = true
WITH u
CALL (u) {
  OPTIONAL MATCH (u)-[:LIKED|SHARED]->(p:Post)
  WHERE NOT EXISTS { (u)-[:POSTED]->(p) }
  RETURN collect(DISTINCT p) AS engaged
}
CALL (u) {
  OPTIONAL MATCH (u)-[:WROTE]->(:Comment)-[:ON]->(p:Post)
  WHERE NOT EXISTS { (u)-[:POSTED]->(p) }
  RETURN collect(DISTINCT p) AS commented
}
CALL (u) {
  OPTIONAL MATCH (u)-[:FOLLOWS]-(other:User)
  RETURN collect(DISTINCT other) AS neighbours
}
CALL (u) {
  OPTIONAL MATCH (u)-[:POSTED]->(p:Post)
  RETURN collect(p) AS own_posts, collect(p.id) AS post_ids
}
CALL (u) {
  OPTIONAL MATCH (u)-[:UPLOADED]->(m:Media)
  SET m.status = 'deleting'
  RETURN collect(m.id) AS media_ids
}
WITH u, engaged + [p IN commented WHERE NOT p IN engaged] AS recount, neighbours, own_posts, post_ids, media_ids
FOREACH (p IN recount | SET p._lock = true, p.counts_version = coalesce(p.counts_version, 0) + 1)
FOREACH (n IN neighbours | SET n._lock = true)
CREATE (:OutboxEvent {id: $event_id, type: 'user_deleted', post_id: 0, actor_id: u.id, user_id: u.id,
                      post_ids: post_ids, media_ids: media_ids, created_at: $now})
WITH u, recount, neighbours, own_posts, post_ids, media_ids
CALL (own_posts) {
  UNWIND own_posts AS p
  OPTIONAL MATCH (c:Comment)-[:ON]->(p)
  DETACH DELETE c
  WITH DISTINCT p
  DETACH DELETE p
}
CALL (u) {
  OPTIONAL MATCH (u)-[:WROTE]->(c:Comment)
  DETACH DELETE c
}
CALL (u) {
  OPTIONAL MATCH (n:Notification) WHERE n.user_id = u.id
  DETACH DELETE n
}
CALL (u) {
  OPTIONAL MATCH (d:Device) WHERE d.user_id = u.id
  DELETE d
}
DETACH DELETE u
WITH recount, neighbours, post_ids, media_ids
FOREACH (p IN recount |
  SET p.like_count = COUNT { (p)<-[:LIKED]-() },
      p.share_count = COUNT { (p)<-[:SHARED]-() },
      p.comment_count = COUNT { (:Comment)-[:ON]->(p) }
  REMOVE p._lock
)
FOREACH (n IN neighbours |
  SET n.follower_count = COUNT { (n)<-[:FOLLOWS]-() },
      n.following_count = COUNT { (n)-[:FOLLOWS]->() }
  REMOVE n._lock
)
RETURN post_ids, media_ids, [p IN recount | p.id] AS recounted_ids
