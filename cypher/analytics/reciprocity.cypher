// @purpose Reciprocity: the share of follow edges whose reverse edge also exists, among accounts in a
//   username prefix (both ends), counting follows created before as_of_ms that still exist.
// @param username_prefix: str = ""  accounts whose username starts with this (case-insensitive)
// @param as_of_ms: int = 9223372036854775807  only follows created before this time, epoch ms
// @column follows: int  follow edges
// @column reciprocated: int  follow edges whose reverse also exists
// @column mutual_pairs: int  unordered pairs following each other
// @column reciprocity: float  reciprocated / follows (null without follows)
MATCH (a:User)-[f:FOLLOWS]->(b:User)
WHERE a.username_lower STARTS WITH toLower($username_prefix)
  AND b.username_lower STARTS WITH toLower($username_prefix) AND f.created_at < $as_of_ms
WITH count(*) AS follows,
     count(CASE WHEN EXISTS { (b)-[g:FOLLOWS]->(a) WHERE g.created_at < $as_of_ms } THEN 1 END) AS reciprocated
RETURN follows, reciprocated, reciprocated / 2 AS mutual_pairs,
       CASE WHEN follows = 0 THEN null ELSE round(toFloat(reciprocated) / follows, 4) END AS reciprocity
