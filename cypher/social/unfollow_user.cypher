// Purpose: $follower_id stops following $followee_id (idempotent); counts re-derived as in follow_user.
// A removed follow leaves a durable OutboxEvent 'user_unfollowed' (search indexes follower counts).
// Parameters: $follower_id (int), $followee_id (int), $event_id (int), $now (int ms).
// Columns: removed (bool), follower_count, following_count (ints). No row when either user does not exist.
MATCH (a:User {id: $follower_id}), (b:User {id: $followee_id})
SET a._lock = true, b._lock = true  // write locks first: the reads below see the latest committed state
WITH a, b
OPTIONAL MATCH (a)-[f:FOLLOWS]->(b)
WITH a, b, collect(f) AS follows
FOREACH (f IN follows | DELETE f)
FOREACH (_ IN CASE WHEN size(follows) > 0 THEN [1] ELSE [] END |
  CREATE (:OutboxEvent {id: $event_id, type: 'user_unfollowed', actor_id: a.id, user_id: b.id,
                        created_at: $now})
)
SET a.following_count = COUNT { (a)-[:FOLLOWS]->() },
    b.follower_count = COUNT { (b)<-[:FOLLOWS]-() }
REMOVE a._lock, b._lock
RETURN size(follows) > 0 AS removed, b.follower_count AS follower_count, a.following_count AS following_count
