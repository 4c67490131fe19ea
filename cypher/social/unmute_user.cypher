// Purpose: $muter_id unmutes $muted_id (idempotent).
// Parameters: $muter_id (int), $muted_id (int).
// Columns: removed (bool). No row when either user does not exist.
MATCH (a:User {id: $muter_id}), (b:User {id: $muted_id})
OPTIONAL MATCH (a)-[m:MUTES]->(b)
WITH collect(m) AS mutes
FOREACH (m IN mutes | DELETE m)
RETURN size(mutes) > 0 AS removed
