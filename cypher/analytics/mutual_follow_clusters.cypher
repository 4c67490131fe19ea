// @purpose Mutual-follow clusters: connected components of the graph whose edges are mutual follows
//   (a follows b and b follows a), among accounts in a username prefix. Each account's component is
//   found by breadth-first search (ANY SHORTEST), so this is polynomial, but it touches every mutual
//   edge of the scope: keep the prefix narrow on a large graph.
// @param username_prefix: str = ""  accounts whose username starts with this (case-insensitive)
// @param min_size: int = 2  smallest cluster listed
// @param sample: int = 10  member usernames listed per cluster
// @param limit: int = 50  clusters returned
// @column cluster_id: int  smallest user id in the cluster (a stable name for it)
// @column size: int  accounts in the cluster
// @column members: list[str]  usernames, smallest id first, at most `sample`
MATCH (u:User)
WHERE u.username_lower STARTS WITH toLower($username_prefix)
OPTIONAL MATCH ANY SHORTEST (u) ((x)-[:FOLLOWS]->(y)
  WHERE EXISTS { (y)-[:FOLLOWS]->(x) } AND y.username_lower STARTS WITH toLower($username_prefix))+ (v)
WITH u, collect(DISTINCT v.id) AS reach
WITH u, reduce(m = u.id, i IN reach | CASE WHEN i < m THEN i ELSE m END) AS cluster_id
ORDER BY u.id
WITH cluster_id, collect(u.username) AS members
WHERE size(members) >= $min_size
RETURN cluster_id, size(members) AS size, members[..$sample] AS members
ORDER BY size DESC, cluster_id ASC
LIMIT $limit
