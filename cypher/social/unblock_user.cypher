// Purpose: $blocker_id lifts a block on $blocked_id (idempotent; follows are not restored).
// Parameters: $blocker_id (int), $blocked_id (int).
// Columns: removed (bool). No row when either user does not exist.
MATCH (a:User {id: $blocker_id}), (b:User {id: $blocked_id})
OPTIONAL MATCH (a)-[k:BLOCKS]->(b)
WITH collect(k) AS blocks
FOREACH (k IN blocks | DELETE k)
RETURN size(blocks) > 0 AS removed
