// @purpose Accounts that received the most interactions (likes, comments, shares by others) in a
//   window, whenever the post was published. Own interactions are left out. Interactions are dated
//   by LIKED.at, Comment.created_at and SHARED.at; undone ones are gone from the graph.
// @param username_prefix: str = ""  only authors whose username starts with this (case-insensitive)
// @param since_ms: int = 0  window start, epoch ms (inclusive)
// @param until_ms: int = 9223372036854775807  window end, epoch ms (exclusive)
// @param min_interactions: int = 1  smallest number of interactions listed
// @param limit: int = 20  rows returned
// @column user_id: int  the author's id
// @column username: str  the author's username
// @column followers: int  the author's follower count now
// @column likes: int  likes received in the window
// @column comments: int  comments received in the window
// @column shares: int  shares received in the window
// @column interactions: int  likes + comments + shares
// @column engagers: int  distinct users who interacted
// @column interactions_per_follower: float  interactions / followers (null without followers)
MATCH (a:User)-[:POSTED]->(p:Post)
WHERE a.username_lower STARTS WITH toLower($username_prefix)
CALL (a, p) {
  MATCH (u:User)-[l:LIKED]->(p)
  WHERE u <> a AND l.at >= $since_ms AND l.at < $until_ms
  RETURN u, 'like' AS kind
  UNION ALL
  MATCH (u:User)-[:WROTE]->(c:Comment)-[:ON]->(p)
  WHERE u <> a AND c.created_at >= $since_ms AND c.created_at < $until_ms
  RETURN u, 'comment' AS kind
  UNION ALL
  MATCH (u:User)-[s:SHARED]->(p)
  WHERE u <> a AND s.at >= $since_ms AND s.at < $until_ms
  RETURN u, 'share' AS kind
}
WITH a, count(*) AS interactions, count(DISTINCT u) AS engagers,
     sum(CASE kind WHEN 'like' THEN 1 ELSE 0 END) AS likes,
     sum(CASE kind WHEN 'comment' THEN 1 ELSE 0 END) AS comments,
     sum(CASE kind WHEN 'share' THEN 1 ELSE 0 END) AS shares
WHERE interactions >= $min_interactions
RETURN a.id AS user_id, a.username AS username, a.follower_count AS followers,
       likes, comments, shares, interactions, engagers,
       CASE WHEN a.follower_count = 0 THEN null
            ELSE round(toFloat(interactions) / a.follower_count, 4) END AS interactions_per_follower
ORDER BY interactions DESC, user_id ASC
LIMIT $limit
