// Purpose: $follower_id follows $followee_id (idempotent). Refused when either blocks the other.
// Counts are re-derived from the relationships (O(1) degree look-ups on dense nodes) under both nodes'
// write locks, taken first, so they stay exact under concurrent follows and unfollows.
// A new follow leaves a durable OutboxEvent 'user_followed' (search indexes follower counts).
// Parameters: $follower_id (int), $followee_id (int), $event_id (int), $now (int ms).
// Columns: blocked (bool), created (bool: a new follow), follower_count, following_count (ints).
// No row when either user does not exist.
MATCH (a:User {id: $follower_id}), (b:User {id: $followee_id})
// Take both write locks first: every read below then sees the latest committed state.
SET a._lock = true, b._lock = true
WITH a, b, EXISTS { (a)-[:BLOCKS]-(b) } AS blocked, EXISTS { (a)-[:FOLLOWS]->(b) } AS existed
FOREACH (_ IN CASE WHEN blocked THEN [] ELSE [1] END |
  MERGE (a)-[f:FOLLOWS]->(b) ON CREATE SET f.created_at = $now
)
FOREACH (_ IN CASE WHEN blocked OR existed THEN [] ELSE [1] END |
  CREATE (:OutboxEvent {id: $event_id, type: 'user_followed', actor_id: a.id, user_id: b.id, created_at: $now})
)
SET a.following_count = COUNT { (a)-[:FOLLOWS]->() },
    b.follower_count = COUNT { (b)<-[:FOLLOWS]-() }
REMOVE a._lock, b._lock
RETURN blocked, NOT blocked AND NOT existed AS created,
       b.follower_count AS follower_count, a.following_count AS following_count
