// Purpose: the ids a search needs to apply a viewer's visibility rules: whom they follow (their
// followers-only posts are visible) and everyone in a block with them, either direction (hidden).
// Parameters: $viewer_id (int).
// Columns: followee_ids (list of ints), blocked_ids (list of ints). No row when the viewer does not exist.
MATCH (v:User {id: $viewer_id})
RETURN COLLECT { MATCH (v)-[:FOLLOWS]->(f:User) RETURN f.id } AS followee_ids,
       COLLECT { MATCH (v)-[:BLOCKS]-(b:User) RETURN DISTINCT b.id } AS blocked_ids
