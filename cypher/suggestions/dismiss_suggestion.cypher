// Purpose: $user_id dismisses $target_id as a suggestion (idempotent): a DISMISSED_SUGGESTION edge,
// which the job and the list query honour forever, and the stored suggestion is removed now.
// Parameters: $user_id (int), $target_id (int), $now (int ms).
// Columns: dismissed (bool). No row when either user does not exist.
MATCH (u:User {id: $user_id}), (c:User {id: $target_id})
MERGE (u)-[d:DISMISSED_SUGGESTION]->(c)
ON CREATE SET d.at = $now
WITH u, c
CALL (u, c) {
  MATCH (u)-[s:SUGGESTED]->(c)
  DELETE s
}
RETURN true AS dismissed
