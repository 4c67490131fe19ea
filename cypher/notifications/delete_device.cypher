// Purpose: forget a device token of this user (idempotent).
// Parameters: $user_id (int), $token (string).
// Columns: deleted (int).
MATCH (d:Device {token: $token})
WHERE d.user_id = $user_id
DELETE d
RETURN count(*) AS deleted
