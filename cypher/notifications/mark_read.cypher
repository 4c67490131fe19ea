// Purpose: mark a user's notifications read: all of them, those up to $up_to_id, or those in $ids.
// Parameters: $user_id (int), $up_to_id (int or null), $ids (list of ints or null).
// Columns: marked (int).
MATCH (n:Notification)
WHERE n.user_id = $user_id AND n.read = false
  AND n.id <= coalesce($up_to_id, 9223372036854775807)
  AND ($ids IS NULL OR n.id IN $ids)
SET n.read = true
RETURN count(n) AS marked
