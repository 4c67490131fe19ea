// Purpose: benchmark dataset load: create a batch of users in one transaction (bench/load.py). No
// OutboxEvent: bench users are not indexed for search. Usernames start with `bench_`.
// Parameters: $rows (list of maps: id, username, created_at, last_feed_read_ms), $password_hash.
// Columns: created (int).
UNWIND $rows AS r
CREATE (:User {
  id: r.id, username: r.username, username_lower: r.username, email: r.username + '@bench.feedgraph.dev',
  password_hash: $password_hash, display_name: r.username, bio: '', avatar_url: null,
  follower_count: 0, following_count: 0, post_count: 0, created_at: r.created_at,
  last_feed_read_ms: r.last_feed_read_ms
})
RETURN count(*) AS created
