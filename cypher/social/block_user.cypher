// Purpose: $blocker_id blocks $blocked_id (idempotent): follows both ways are removed, counts re-derived.
// When follows were removed, a durable OutboxEvent 'user_blocked' lets search re-read both users' counts.
// Parameters: $blocker_id (int), $blocked_id (int), $event_id (int), $now (int ms).
// Columns: removed_follows (int). No row when either user does not exist.
MATCH (a:User {id: $blocker_id}), (b:User {id: $blocked_id})
SET a._lock = true, b._lock = true  // write locks first: the reads below see the latest committed state
MERGE (a)-[k:BLOCKS]->(b)
ON CREATE SET k.created_at = $now
WITH a, b
OPTIONAL MATCH (a)-[f:FOLLOWS]-(b)
WITH a, b, collect(f) AS follows
FOREACH (f IN follows | DELETE f)
FOREACH (_ IN CASE WHEN size(follows) > 0 THEN [1] ELSE [] END |
  CREATE (:OutboxEvent {id: $event_id, type: 'user_blocked', actor_id: a.id, user_id: b.id, created_at: $now})
)
SET a.following_count = COUNT { (a)-[:FOLLOWS]->() }, a.follower_count = COUNT { (a)<-[:FOLLOWS]-() },
    b.following_count = COUNT { (b)-[:FOLLOWS]->() }, b.follower_count = COUNT { (b)<-[:FOLLOWS]-() }
REMOVE a._lock, b._lock
RETURN size(follows) AS removed_follows
