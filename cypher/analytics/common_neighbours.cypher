// @purpose Similarity of two accounts by the accounts both follow: Jaccard similarity of their
//   followee sets, and the Adamic-Adar score, which weights each shared followee by
//   1 / ln(its follower count) so that celebrities count less.
// @param user_a: int  first account's id
// @param user_b: int  second account's id
// @param sample: int = 10  shared followees listed
// @column user_a: str  first account's username
// @column user_b: str  second account's username
// @column common_followees: int  accounts both follow
// @column following_a: int  accounts the first follows
// @column following_b: int  accounts the second follows
// @column jaccard: float  common / (following_a + following_b - common)
// @column adamic_adar: float  sum over shared followees of 1 / ln(follower count)
// @column sample_common: list[str]  usernames of shared followees, most followed first
MATCH (a:User {id: $user_a}), (b:User {id: $user_b})
OPTIONAL MATCH (a)-[:FOLLOWS]->(n:User)<-[:FOLLOWS]-(b)
WITH a, b, n ORDER BY n.follower_count DESC, n.id ASC
WITH a, b, collect(n) AS common
WITH a, b, common, size(common) AS k
RETURN a.username AS user_a, b.username AS user_b, k AS common_followees,
       a.following_count AS following_a, b.following_count AS following_b,
       CASE WHEN a.following_count + b.following_count - k = 0 THEN 0.0
            ELSE round(toFloat(k) / (a.following_count + b.following_count - k), 4) END AS jaccard,
       round(reduce(s = 0.0, n IN common | s + 1.0 / log(n.follower_count)), 4) AS adamic_adar,
       [n IN common | n.username][..$sample] AS sample_common
