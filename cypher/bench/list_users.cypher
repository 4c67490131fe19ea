// Purpose: the users of one benchmark dataset (username prefix such as `bench_s7_`), in username order.
// Parameters: $prefix (string), $limit (int).
// Columns: id (int), username (string), follower_count (int), following_count (int), pull_feed (bool).
MATCH (u:User)
WHERE u.username_lower STARTS WITH $prefix
RETURN u.id AS id, u.username AS username, u.follower_count AS follower_count,
       u.following_count AS following_count, coalesce(u.pull_feed, false) AS pull_feed
ORDER BY u.username_lower
LIMIT $limit
