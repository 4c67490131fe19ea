// Purpose: the device tokens (push notification targets) of some users, in one read.
// Parameters: $user_ids (list of int).
// Columns: user_id (int), token (string), platform (string).
UNWIND $user_ids AS user_id
MATCH (d:Device)
WHERE d.user_id = user_id
RETURN d.user_id AS user_id, d.token AS token, d.platform AS platform
