// Purpose: delete a post with its comments and every relationship, by its author only, and leave a
// durable OutboxEvent so that timelines, search and media are cleaned up (its media are marked 'deleting').
// Parameters: $post_id (int), $user_id (int: who asks), $event_id (int), $now (int ms).
// Columns: is_author (bool), media_ids (list). No row when the post does not exist.
MATCH (a:User)-[:POSTED]->(p:Post {id: $post_id})
WITH a, p, a.id = $user_id AS is_author, p.media_ids AS media_ids
CALL (a, p, is_author) {
  WITH a, p WHERE is_author
  OPTIONAL MATCH (c:Comment)-[:ON]->(p)
  DETACH DELETE c
  WITH DISTINCT a, p
  CREATE (:OutboxEvent {id: $event_id, type: 'post_deleted', post_id: p.id, actor_id: a.id,
                        media_ids: p.media_ids, created_at: $now})
  WITH a, p
  CALL (p) {
    // The media consumer deletes their objects, then the nodes (the event carries their ids).
    MATCH (p)-[:HAS_MEDIA]->(m:Media)
    SET m.status = 'deleting'
  }
  DETACH DELETE p
  WITH DISTINCT a
  SET a.post_count = COUNT { (a)-[:POSTED]->() }
}
RETURN is_author, media_ids
