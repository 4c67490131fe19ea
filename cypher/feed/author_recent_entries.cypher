// Purpose: an author's newest feed entries for their followers: their public and followers-only posts,
// and their shares (reposts), newest first. Builds a celebrity's pull list and backfills timelines.
// Also serves entries older than the pull list's cap, with $before_id.
// Parameters: $author_id (int), $before_id (int or null), $limit (int).
// Columns: id (int: a post id or a share id; both are time-ordered ids).
CALL () {
  MATCH (p:Post)
  WHERE p.author_id = $author_id AND p.id < coalesce($before_id, 9223372036854775807)
    AND p.visibility <> 'private'
  WITH p ORDER BY p.author_id DESC, p.id DESC LIMIT $limit
  RETURN p.id AS id
  UNION
  MATCH (:User {id: $author_id})-[s:SHARED]->(:Post)
  WHERE s.id < coalesce($before_id, 9223372036854775807)
  RETURN s.id AS id ORDER BY s.id DESC LIMIT $limit
}
RETURN id ORDER BY id DESC LIMIT $limit
