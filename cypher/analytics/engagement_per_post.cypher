// @purpose Engagement of each post published in a window: its lifetime likes, comments and shares,
//   and the engagement rate (engagement per follower of the author, follower count as of now).
// @param username_prefix: str = ""  only authors whose username starts with this (case-insensitive)
// @param since_ms: int = 0  publication window start, epoch ms (inclusive)
// @param until_ms: int = 9223372036854775807  publication window end, epoch ms (exclusive)
// @param visibilities: list[str] = ["public", "followers"]  post visibilities included
// @param limit: int = 20  rows returned
// @column post_id: int  the post's id
// @column author: str  the author's username
// @column visibility: str  public, followers or private
// @column created_at: int  publication time, epoch ms
// @column likes: int  likes
// @column comments: int  comments
// @column shares: int  shares
// @column engagement: int  likes + comments + shares
// @column engagement_rate: float  engagement / author's followers (null without followers)
MATCH (a:User)-[:POSTED]->(p:Post)
WHERE a.username_lower STARTS WITH toLower($username_prefix)
  AND p.created_at >= $since_ms AND p.created_at < $until_ms AND p.visibility IN $visibilities
WITH p, a, p.like_count + p.comment_count + p.share_count AS engagement
RETURN p.id AS post_id, a.username AS author, p.visibility AS visibility, p.created_at AS created_at,
       p.like_count AS likes, p.comment_count AS comments, p.share_count AS shares, engagement,
       CASE WHEN a.follower_count = 0 THEN null
            ELSE round(toFloat(engagement) / a.follower_count, 4) END AS engagement_rate
ORDER BY engagement DESC, post_id DESC
LIMIT $limit
