// Purpose: the most followed accounts, the cold-start pool of friend suggestions (index-backed order).
// Parameters: $limit (int).
// Columns: user_id (int), follower_count (int). Accounts without followers are left out.
MATCH (c:User)
WHERE c.follower_count > 0
RETURN c.id AS user_id, c.follower_count AS follower_count
ORDER BY c.follower_count DESC, c.id ASC
LIMIT $limit
