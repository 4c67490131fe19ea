// @purpose Accounts with the most followers. Counts are exact: follower_count is kept equal to the
//   FOLLOWS in-degree (docs/GRAPH_MODEL.md, "Counters"). Uses the user_follower_count index.
// @param username_prefix: str = ""  only accounts whose username starts with this (case-insensitive)
// @param min_followers: int = 1  smallest follower count listed
// @param limit: int = 20  rows returned
// @column user_id: int  the account's id
// @column username: str  the account's username
// @column followers: int  accounts following it
// @column following: int  accounts it follows
// @column posts: int  posts it has published (existing ones)
MATCH (u:User)
WHERE u.follower_count >= $min_followers AND u.username_lower STARTS WITH toLower($username_prefix)
RETURN u.id AS user_id, u.username AS username, u.follower_count AS followers,
       u.following_count AS following, u.post_count AS posts
ORDER BY followers DESC, user_id ASC
LIMIT $limit
