// Purpose: register (or move to this user) a device token for push notifications (idempotent).
// Parameters: $user_id (int), $token (string), $platform (ios | android | web), $now (int ms).
// Columns: device (map).
MERGE (d:Device {token: $token})
ON CREATE SET d.created_at = $now
SET d.user_id = $user_id, d.platform = $platform, d.updated_at = $now
RETURN d {.token, .platform, .user_id, .created_at} AS device
