// Purpose: benchmark dataset load, last step: exact counters of a batch of users from their edges, and
// the celebrity flag (posts pulled at read time) for those at or above the dataset's threshold.
// Parameters: $ids (list of user ids), $threshold (int), $now (int ms).
// Columns: celebrities (int: flagged in this batch).
UNWIND $ids AS id
MATCH (u:User {id: id})
SET u.follower_count = COUNT { (u)<-[:FOLLOWS]-() },
    u.following_count = COUNT { (u)-[:FOLLOWS]->() },
    u.post_count = COUNT { (u)-[:POSTED]->() }
SET u.pull_feed = u.follower_count >= $threshold,
    u.pull_since = CASE WHEN u.follower_count >= $threshold THEN $now ELSE null END
RETURN count(CASE WHEN u.pull_feed THEN 1 END) AS celebrities
