// Purpose: how many of a user's notifications are unread.
// Parameters: $user_id (int).
// Columns: unread (int).
MATCH (n:Notification)
WHERE n.user_id = $user_id AND n.read = false
RETURN count(n) AS unread
