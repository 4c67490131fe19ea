// Purpose: replace the stored suggestions of each user of a batch, in one transaction (a reader sees
// the old list or the new one, never a mix). Idempotent: rerunning with the same rows gives the same
// edges. Suggested accounts deleted since they were computed are skipped.
// Parameters: $rows (list of {user_id, suggestions: [{id, rank, kind, score, mutual_count, via}]}),
// $now (int ms).
// Columns: users (int: users whose suggestions were replaced).
UNWIND $rows AS row
MATCH (u:User {id: row.user_id})
CALL (u) {
  MATCH (u)-[old:SUGGESTED]->(:User)
  DELETE old
}
CALL (u, row) {
  UNWIND row.suggestions AS s
  MATCH (c:User {id: s.id})
  CREATE (u)-[:SUGGESTED {rank: s.rank, kind: s.kind, score: s.score, mutual_count: s.mutual_count,
                          via: s.via, computed_at: $now}]->(c)
}
RETURN count(u) AS users
