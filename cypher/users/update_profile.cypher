// Purpose: change a user's profile fields (display_name, bio, avatar_url; the API allows no others), with a
// durable OutboxEvent 'user_updated' (search indexes profiles).
// Parameters: $user_id (int), $changes (map of the fields to set; null clears a field), $event_id (int),
// $now (int ms).
// Columns: user (map).
MATCH (u:User {id: $user_id})
SET u += $changes
CREATE (:OutboxEvent {id: $event_id, type: 'user_updated', actor_id: u.id, user_id: u.id, created_at: $now})
RETURN u {.id, .username, .display_name, .bio, .avatar_url, .follower_count, .following_count,
          .post_count, .created_at} AS user
