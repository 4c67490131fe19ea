// @purpose Engagement rate of each author over the posts they published in a window: engagement per
//   post, and per post per follower (the usual "engagement rate"), follower count as of now.
// @param username_prefix: str = ""  only authors whose username starts with this (case-insensitive)
// @param since_ms: int = 0  publication window start, epoch ms (inclusive)
// @param until_ms: int = 9223372036854775807  publication window end, epoch ms (exclusive)
// @param min_posts: int = 1  smallest number of posts in the window
// @param limit: int = 20  rows returned
// @column user_id: int  the author's id
// @column username: str  the author's username
// @column followers: int  follower count now
// @column posts: int  posts published in the window
// @column engagement: int  likes + comments + shares on those posts
// @column engagement_per_post: float  engagement / posts
// @column engagement_rate: float  engagement / posts / followers (null without followers)
MATCH (a:User)-[:POSTED]->(p:Post)
WHERE a.username_lower STARTS WITH toLower($username_prefix)
  AND p.created_at >= $since_ms AND p.created_at < $until_ms
WITH a, count(p) AS posts, sum(p.like_count + p.comment_count + p.share_count) AS engagement
WHERE posts >= $min_posts
RETURN a.id AS user_id, a.username AS username, a.follower_count AS followers, posts, engagement,
       round(toFloat(engagement) / posts, 4) AS engagement_per_post,
       CASE WHEN a.follower_count = 0 THEN null
            ELSE round(toFloat(engagement) / posts / a.follower_count, 4) END AS engagement_rate
ORDER BY engagement_per_post DESC, user_id ASC
LIMIT $limit
