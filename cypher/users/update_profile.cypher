// Purpose: change a user's profile fields (display_name, bio, avatar_url; the API allows no others).
// Parameters: $user_id (int), $changes (map of the fields to set; null clears a field).
// Columns: user (map).
MATCH (u:User {id: $user_id})
SET u += $changes
RETURN u {.id, .username, .display_name, .bio, .avatar_url, .follower_count, .following_count,
          .post_count, .created_at} AS user
