// Purpose: $follower_id stops following $followee_id (idempotent); counts re-derived as in follow_user.
// Parameters: $follower_id (int), $followee_id (int).
// Columns: removed (bool), follower_count, following_count (ints). No row when either user does not exist.
MATCH (a:User {id: $follower_id}), (b:User {id: $followee_id})
SET a._lock = true, b._lock = true  // write locks first: the reads below see the latest committed state
WITH a, b
OPTIONAL MATCH (a)-[f:FOLLOWS]->(b)
WITH a, b, collect(f) AS follows
FOREACH (f IN follows | DELETE f)
SET a.following_count = COUNT { (a)-[:FOLLOWS]->() },
    b.follower_count = COUNT { (b)<-[:FOLLOWS]-() }
REMOVE a._lock, b._lock
RETURN size(follows) > 0 AS removed, b.follower_count AS follower_count, a.following_count AS following_count
