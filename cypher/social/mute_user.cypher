// Purpose: $muter_id mutes $muted_id (idempotent): their posts leave the muter's feed; nothing else changes.
// Parameters: $muter_id (int), $muted_id (int), $now (int ms).
// Columns: muted (bool). No row when either user does not exist.
MATCH (a:User {id: $muter_id}), (b:User {id: $muted_id})
SET a._lock = true  // the muter's write lock first: two identical requests cannot both create the edge
MERGE (a)-[m:MUTES]->(b)
ON CREATE SET m.created_at = $now
REMOVE a._lock
RETURN true AS muted
