// Purpose: benchmark dataset load: a batch of FOLLOWS edges (counts are set by finalize_users).
// Parameters: $rows (list of [follower id, followee id, created_at ms]).
// Columns: created (int).
UNWIND $rows AS r
MATCH (a:User {id: r[0]}), (b:User {id: r[1]})
CREATE (a)-[:FOLLOWS {created_at: r[2]}]->(b)
RETURN count(*) AS created
