// Purpose: a user's stored suggestions, best first, one page (keyset on rank). Accounts followed,
// blocked either way, muted or dismissed since the job ran are left out. followed_by: the usernames
// of the accounts that explain the suggestion (via) that the user still follows, in via order.
// Parameters: $user_id (int), $after_rank (int or null), $limit (int).
// Columns: user (map), rank (int), kind (str: friends or popular), score (float), mutual_count (int or
// null), followed_by (list of str), computed_at (int ms).
MATCH (u:User {id: $user_id})-[s:SUGGESTED]->(c:User)
WHERE ($after_rank IS NULL OR s.rank > $after_rank)
  AND NOT EXISTS { (u)-[:FOLLOWS]->(c) }
  AND NOT EXISTS { (u)-[:BLOCKS]-(c) }
  AND NOT EXISTS { (u)-[:MUTES]->(c) }
  AND NOT EXISTS { (u)-[:DISMISSED_SUGGESTION]->(c) }
WITH u, s, c ORDER BY s.rank ASC LIMIT $limit
RETURN c {.id, .username, .display_name, .bio, .avatar_url, .follower_count, .following_count,
          .post_count, .created_at} AS user,
       s.rank AS rank, s.kind AS kind, s.score AS score, s.mutual_count AS mutual_count,
       [name IN [fid IN coalesce(s.via, []) |
                 head(COLLECT { MATCH (u)-[:FOLLOWS]->(f:User {id: fid}) RETURN f.username })]
        WHERE name IS NOT NULL] AS followed_by,
       s.computed_at AS computed_at
