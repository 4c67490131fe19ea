// Purpose: what the search index stores of each user; users that no longer exist have no row.
// Parameters: $ids (list of user ids).
// Columns: user (map: id, username, username_lower, display_name, bio, follower_count, created_at).
UNWIND $ids AS id
MATCH (u:User {id: id})
RETURN u {.id, .username, .username_lower, .display_name, .bio, .follower_count, .created_at} AS user
