// @purpose Pairs of hashtags used together on posts published in a window. jaccard is the number of
//   posts with both tags over the number with either, within the same window and author scope.
// @param username_prefix: str = ""  only posts by authors whose username starts with this (case-insensitive)
// @param since_ms: int = 0  publication window start, epoch ms (inclusive)
// @param until_ms: int = 9223372036854775807  publication window end, epoch ms (exclusive)
// @param min_posts: int = 1  smallest number of posts with both tags
// @param limit: int = 25  pairs returned
// @column tag_a: str  first tag (alphabetically)
// @column tag_b: str  second tag
// @column together: int  posts with both tags
// @column posts_a: int  posts with tag_a
// @column posts_b: int  posts with tag_b
// @column jaccard: float  together / (posts_a + posts_b - together)
MATCH (a:User)-[:POSTED]->(p:Post)
WHERE a.username_lower STARTS WITH toLower($username_prefix)
  AND p.created_at >= $since_ms AND p.created_at < $until_ms
MATCH (h1:Hashtag)<-[:TAGGED]-(p)-[:TAGGED]->(h2:Hashtag)
WHERE h1.tag < h2.tag
WITH h1, h2, count(p) AS together
WHERE together >= $min_posts
ORDER BY together DESC, h1.tag, h2.tag
LIMIT $limit
WITH h1, h2, together,
     COUNT { (h1)<-[:TAGGED]-(q:Post)<-[:POSTED]-(b:User)
             WHERE q.created_at >= $since_ms AND q.created_at < $until_ms
               AND b.username_lower STARTS WITH toLower($username_prefix) } AS posts_a,
     COUNT { (h2)<-[:TAGGED]-(q:Post)<-[:POSTED]-(b:User)
             WHERE q.created_at >= $since_ms AND q.created_at < $until_ms
               AND b.username_lower STARTS WITH toLower($username_prefix) } AS posts_b
RETURN h1.tag AS tag_a, h2.tag AS tag_b, together, posts_a, posts_b,
       round(toFloat(together) / (posts_a + posts_b - together), 4) AS jaccard
ORDER BY together DESC, tag_a, tag_b
