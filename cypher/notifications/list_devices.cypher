// Purpose: a user's device tokens (push notification targets).
// Parameters: $user_id (int).
// Columns: token (string), platform (string).
MATCH (d:Device)
WHERE d.user_id = $user_id
RETURN d.token AS token, d.platform AS platform
