// Purpose: the accounts a user follows whose posts are pulled at read time (celebrities).
// Parameters: $user_id (int).
// Columns: id (int).
MATCH (:User {id: $user_id})-[:FOLLOWS]->(c:User)
WHERE c.pull_feed = true
RETURN c.id AS id
