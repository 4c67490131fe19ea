// Purpose: register a user. A taken username (case-insensitive) or email fails on its uniqueness constraint.
// A durable OutboxEvent 'user_created' goes with it (search indexes users).
// Parameters: $id (int), $username, $username_lower, $email (lower-cased), $password_hash, $display_name,
// $event_id (int), $now (ms).
// Columns: user (map: the public profile).
CREATE (u:User {
  id: $id, username: $username, username_lower: $username_lower, email: $email,
  password_hash: $password_hash, display_name: $display_name, bio: '', avatar_url: null,
  follower_count: 0, following_count: 0, post_count: 0, created_at: $now, last_feed_read_ms: $now
})
CREATE (:OutboxEvent {id: $event_id, type: 'user_created', actor_id: $id, user_id: $id, created_at: $now})
RETURN u {.id, .username, .display_name, .bio, .avatar_url, .follower_count, .following_count,
          .post_count, .created_at} AS user
