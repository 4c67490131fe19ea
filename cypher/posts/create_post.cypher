// Purpose: publish a post: the Post, its POSTED edge, HAS_MEDIA edges to its media (now 'attached'),
// TAGGED hashtags, MENTIONS of existing users, and a durable OutboxEvent in the same transaction (the
// relay turns it into a stream event; nothing is lost if the process dies after the commit).
// Parameters: $post_id (int), $author_id (int), $content, $visibility, $media_ids (list of ints),
// $hashtags (list of lower-case tags), $mentions (list of lower-case usernames), $event_id (int), $now (int ms).
// Columns: post (map, with media: the attached media in order), author (map).
MATCH (a:User {id: $author_id})
CREATE (p:Post {
  id: $post_id, author_id: $author_id, content: $content, visibility: $visibility, media_ids: $media_ids,
  created_at: $now, like_count: 0, comment_count: 0, share_count: 0
})
CREATE (a)-[:POSTED]->(p)
SET a.post_count = a.post_count + 1
CREATE (:OutboxEvent {id: $event_id, type: 'post_created', post_id: $post_id, actor_id: $author_id,
                      visibility: $visibility, created_at: $now})
WITH a, p
CALL (p) {
  UNWIND $hashtags AS tag
  MERGE (h:Hashtag {tag: tag})
  MERGE (p)-[:TAGGED]->(h)
}
CALL (p) {
  // The caller checked these ids under their write locks in this same transaction (media/lock_media).
  UNWIND range(0, size($media_ids) - 1) AS position
  MATCH (m:Media {id: $media_ids[position]})
  SET m.status = 'attached', m.post_id = p.id
  CREATE (p)-[:HAS_MEDIA {position: position}]->(m)
}
CALL (p) {
  UNWIND $mentions AS name
  MATCH (m:User {username_lower: name})
  MERGE (p)-[:MENTIONS]->(m)
}
RETURN p {.id, .author_id, .content, .visibility, .media_ids, .created_at, .like_count, .comment_count,
          .share_count,
          media: COLLECT { MATCH (p)-[r:HAS_MEDIA]->(m:Media)
                           RETURN m {.id, .type, .width, .height, .duration, .blurhash, .original_key, .thumb_key}
                           ORDER BY r.position }} AS post,
       a {.id, .username, .display_name, .avatar_url} AS author
