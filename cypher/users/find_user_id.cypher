// Purpose: the id of the user with this username (case-insensitive).
// Parameters: $username_lower.
// Columns: id (int).
MATCH (u:User {username_lower: $username_lower})
RETURN u.id AS id
