// Purpose: a user's notifications, newest first (keyset pagination on id), with the actor's profile.
// Parameters: $user_id (int), $before_id (int or null), $limit (int).
// Columns: notification (map: id, kind, post_id, created_at, read), actor (map).
MATCH (n:Notification)
WHERE n.user_id = $user_id AND n.id < coalesce($before_id, 9223372036854775807)
WITH n ORDER BY n.user_id DESC, n.id DESC LIMIT $limit
MATCH (a:User {id: n.actor_id})
RETURN n {.id, .kind, .post_id, .created_at, .read} AS notification,
       a {.id, .username, .display_name, .avatar_url} AS actor
