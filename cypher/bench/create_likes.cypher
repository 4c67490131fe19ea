// Purpose: benchmark dataset load: a batch of LIKED edges (like_count is set by finalize_posts).
// Parameters: $rows (list of [user id, post id, at ms]).
// Columns: created (int).
UNWIND $rows AS r
MATCH (u:User {id: r[0]}), (p:Post {id: r[1]})
CREATE (u)-[:LIKED {at: r[2]}]->(p)
RETURN count(*) AS created
