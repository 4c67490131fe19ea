// Purpose: the shape a benchmark dataset had when it finished loading; no row while it is not fully loaded.
// Parameters: $prefix (string).
// Columns: users, follows, posts, likes (int), loaded_at (int ms).
MATCH (d:BenchDataset {prefix: $prefix})
RETURN d.users AS users, d.follows AS follows, d.posts AS posts, d.likes AS likes, d.loaded_at AS loaded_at
