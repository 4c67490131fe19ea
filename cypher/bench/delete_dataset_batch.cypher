// Purpose: remove one batch of a benchmark dataset (users with the username prefix, their posts, and
// every edge of both); run until it deletes nothing.
// Parameters: $prefix (string, starting with `bench_`), $limit (int: users per batch).
// Columns: deleted (int: users deleted).
MATCH (u:User)
WHERE u.username_lower STARTS WITH $prefix AND $prefix STARTS WITH 'bench_'
WITH u LIMIT $limit
CALL (u) {
  MATCH (u)-[:POSTED]->(p:Post)
  DETACH DELETE p
}
DETACH DELETE u
RETURN count(*) AS deleted
