// @purpose Degree distribution: how many accounts have each follower count (direction "in") or
//   following count ("out"), with the share of accounts and the complementary cumulative share
//   (accounts with at least that degree) for log-log plots.
// @param username_prefix: str = ""  accounts whose username starts with this (case-insensitive)
// @param direction: str = "in"  "in" (followers) or "out" (following)
// @column degree: int  follower or following count
// @column users: int  accounts with exactly that degree
// @column share: float  users / all accounts counted
// @column ccdf: float  share of accounts with at least that degree
MATCH (u:User)
WHERE u.username_lower STARTS WITH toLower($username_prefix)
WITH CASE $direction WHEN 'out' THEN u.following_count ELSE u.follower_count END AS degree
WITH degree, count(*) AS users
ORDER BY degree
WITH collect({degree: degree, users: users}) AS rows, sum(users) AS total
UNWIND range(0, size(rows) - 1) AS i
RETURN rows[i].degree AS degree, rows[i].users AS users,
       round(toFloat(rows[i].users) / total, 6) AS share,
       round(toFloat(reduce(s = 0, r IN rows[i..] | s + r.users)) / total, 6) AS ccdf
