// Purpose: delete a comment, allowed to its author and to the post's author; comment_count re-derived.
// Parameters: $comment_id (int), $user_id (int: who asks).
// Columns: allowed (bool), comment_count (int). No row when the comment does not exist.
MATCH (w:User)-[:WROTE]->(c:Comment {id: $comment_id})-[:ON]->(p:Post)<-[:POSTED]-(a:User)
SET p._lock = true
WITH c, p, w.id = $user_id OR a.id = $user_id AS allowed
FOREACH (_ IN CASE WHEN allowed THEN [1] ELSE [] END | DETACH DELETE c)
WITH p, allowed
SET p.comment_count = COUNT { (:Comment)-[:ON]->(p) }
REMOVE p._lock
RETURN allowed, p.comment_count AS comment_count
