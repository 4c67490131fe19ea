// Purpose: what the fan-out needs to know about an author: follower count and whether their posts are
// currently pulled at read time (celebrity) rather than pushed.
// Parameters: $author_id (int).
// Columns: follower_count (int), pull_feed (bool), pull_since (int ms or null). No row for an unknown user.
MATCH (a:User {id: $author_id})
RETURN a.follower_count AS follower_count, coalesce(a.pull_feed, false) AS pull_feed, a.pull_since AS pull_since
