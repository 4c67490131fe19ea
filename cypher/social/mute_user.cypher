// Purpose: $muter_id mutes $muted_id (idempotent): their posts leave the muter's feed; nothing else changes.
// Parameters: $muter_id (int), $muted_id (int), $now (int ms).
// Columns: muted (bool). No row when either user does not exist.
MATCH (a:User {id: $muter_id}), (b:User {id: $muted_id})
MERGE (a)-[m:MUTES]->(b)
ON CREATE SET m.created_at = $now
RETURN true AS muted
