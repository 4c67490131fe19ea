// Purpose: friend-suggestion candidates for a batch of users (read-only; the job stores them).
// friends: friends of friends, scored by Adamic-Adar over the people the user follows:
//   score(u, c) = sum over f with (u)-[:FOLLOWS]->(f)-[:FOLLOWS]->(c) of 1 / ln(1 + f.following_count)
// so that a followee who follows thousands of accounts vouches for each of them far less than one who
// follows a few. Ties: more such f first, then the smaller id. via: up to $via_sample of those f,
// the most selective (fewest followings) first, for the reason shown to the user.
// popular: the cold-start pool $popular (most followed first), minus the friends candidates.
// Both exclude: the user, accounts already followed, blocked either way, muted, or dismissed.
// Parameters: $user_ids (list of int), $k (int), $via_sample (int), $popular (list of int).
// Columns: user_id (int), following (int), friends (list of {id, score, mutual_count, via}),
// popular (list of int, at most $k).
UNWIND $user_ids AS uid
MATCH (u:User {id: uid})
CALL (u) {
  MATCH (u)-[:FOLLOWS]->(f:User)-[:FOLLOWS]->(c:User)
  WHERE c <> u
    AND NOT EXISTS { (u)-[:FOLLOWS]->(c) }
    AND NOT EXISTS { (u)-[:BLOCKS]-(c) }
    AND NOT EXISTS { (u)-[:MUTES]->(c) }
    AND NOT EXISTS { (u)-[:DISMISSED_SUGGESTION]->(c) }
  WITH c, f ORDER BY f.following_count ASC, f.id ASC
  WITH c, sum(1.0 / log(1 + f.following_count)) AS score, count(f) AS mutual_count,
       collect(f.id)[..$via_sample] AS via
  ORDER BY score DESC, mutual_count DESC, c.id ASC
  LIMIT $k
  RETURN collect({id: c.id, score: score, mutual_count: mutual_count, via: via}) AS friends
}
CALL (u, friends) {
  UNWIND range(0, size($popular) - 1) AS i
  MATCH (c:User {id: $popular[i]})
  WHERE c <> u AND NOT c.id IN [x IN friends | x.id]
    AND NOT EXISTS { (u)-[:FOLLOWS]->(c) }
    AND NOT EXISTS { (u)-[:BLOCKS]-(c) }
    AND NOT EXISTS { (u)-[:MUTES]->(c) }
    AND NOT EXISTS { (u)-[:DISMISSED_SUGGESTION]->(c) }
  WITH c, i ORDER BY i
  LIMIT $k
  RETURN collect(c.id) AS popular
}
RETURN u.id AS user_id, u.following_count AS following, friends, popular
