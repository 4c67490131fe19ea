// Purpose: benchmark dataset load: exact like counts of a batch of posts from their LIKED edges.
// Parameters: $ids (list of post ids).
// Columns: updated (int).
UNWIND $ids AS id
MATCH (p:Post {id: id})
SET p.like_count = COUNT { (p)<-[:LIKED]-() }
RETURN count(*) AS updated
