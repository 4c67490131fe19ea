// Purpose: what the feed checks about one viewer on every read, to cache it in Redis
// (cache/viewer_state.py): the posts newer than a cutoff that the viewer liked or shared, and the
// users the viewer may not see (blocked by or blocking the viewer, or muted by the viewer).
// Parameters: $viewer_id (int), $since_id (int: only posts with a larger id).
// Columns (one row): liked (list of post ids), shared (list of post ids), hidden (list of user ids).
// No row when the viewer does not exist.
MATCH (v:User {id: $viewer_id})
RETURN COLLECT { MATCH (v)-[:LIKED]->(p:Post) WHERE p.id > $since_id RETURN p.id } AS liked,
       COLLECT { MATCH (v)-[:SHARED]->(p:Post) WHERE p.id > $since_id RETURN DISTINCT p.id } AS shared,
       COLLECT { MATCH (v)-[:BLOCKS|MUTES]->(u:User) RETURN u.id
                 UNION
                 MATCH (v)<-[:BLOCKS]-(u:User) RETURN u.id } AS hidden
