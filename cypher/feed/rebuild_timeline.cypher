// Purpose: rebuild a user's home timeline from the graph: the newest entries of every pushed (not
// celebrity) account they follow — posts other than private ones, and shares — plus their own posts
// and shares, newest first. Celebrities are left out: their entries are pulled at read time.
// Also serves pages older than the timeline's cap, with $before_id, and, with $include_pulled = true,
// the pure-pull feed (celebrities too) used while Redis is down and as the benchmarks' baseline.
// Parameters: $user_id (int), $before_id (int or null), $include_pulled (bool),
// $per_author (int: entries per followed account), $limit (int).
// Columns: id (int: a post id or a share id).
MATCH (me:User {id: $user_id})
CALL (me) {
  MATCH (me)-[:FOLLOWS]->(a:User)
  WHERE $include_pulled OR coalesce(a.pull_feed, false) = false
  RETURN a
  UNION
  RETURN me AS a
}
CALL (me, a) {
  MATCH (p:Post)
  WHERE p.author_id = a.id AND p.id < coalesce($before_id, 9223372036854775807)
    AND (p.visibility <> 'private' OR a = me)
  WITH p ORDER BY p.author_id DESC, p.id DESC LIMIT $per_author
  RETURN p.id AS id
  UNION
  MATCH (a)-[s:SHARED]->(:Post)
  WHERE s.id < coalesce($before_id, 9223372036854775807)
  WITH s ORDER BY s.id DESC LIMIT $per_author
  RETURN s.id AS id
}
RETURN id ORDER BY id DESC LIMIT $limit
