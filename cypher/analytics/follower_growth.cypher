// @purpose New followers per UTC day, with a running total over the window, for one account or for
//   every account in a username prefix. Only follows that still exist are counted (an unfollow
//   deletes the edge). Days without new followers are missing.
// @param username_prefix: str = ""  followed accounts whose username starts with this (case-insensitive)
// @param user_id: int? = null  one followed account (null: every account in the prefix)
// @param since_ms: int = 0  window start, epoch ms (inclusive)
// @param until_ms: int = 9223372036854775807  window end, epoch ms (exclusive)
// @column day: str  UTC date, YYYY-MM-DD
// @column new_followers: int  follows created that day
// @column cumulative: int  follows created in the window up to that day
MATCH (u:User)<-[f:FOLLOWS]-(:User)
WHERE u.username_lower STARTS WITH toLower($username_prefix) AND ($user_id IS NULL OR u.id = $user_id)
  AND f.created_at >= $since_ms AND f.created_at < $until_ms
WITH toString(date(datetime({epochMillis: f.created_at}))) AS day, count(*) AS new_followers
ORDER BY day
WITH collect({day: day, n: new_followers}) AS days
UNWIND range(0, size(days) - 1) AS i
RETURN days[i].day AS day, days[i].n AS new_followers,
       reduce(total = 0, d IN days[..i + 1] | total + d.n) AS cumulative
