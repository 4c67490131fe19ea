// @purpose Posts per hour of the day in a time zone, with the number of distinct authors. Hours
//   without posts are missing.
// @param username_prefix: str = ""  only authors whose username starts with this (case-insensitive)
// @param since_ms: int = 0  publication window start, epoch ms (inclusive)
// @param until_ms: int = 9223372036854775807  publication window end, epoch ms (exclusive)
// @param timezone: str = "UTC"  IANA time zone name, e.g. "Europe/Paris"
// @column hour: int  hour of the day, 0-23, in the time zone
// @column posts: int  posts published in that hour
// @column authors: int  distinct authors of those posts
MATCH (a:User)-[:POSTED]->(p:Post)
WHERE a.username_lower STARTS WITH toLower($username_prefix)
  AND p.created_at >= $since_ms AND p.created_at < $until_ms
WITH p, datetime({epochMillis: p.created_at, timezone: $timezone}) AS t
RETURN t.hour AS hour, count(*) AS posts, count(DISTINCT p.author_id) AS authors
ORDER BY hour
