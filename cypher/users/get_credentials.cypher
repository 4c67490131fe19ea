// Purpose: the password hash of the account a login names, by username (case-insensitive) or email.
// Parameters: $login (lower-cased username or email).
// Columns: id (int), password_hash (string).
MATCH (u:User)
WHERE u.username_lower = $login OR u.email = $login
RETURN u.id AS id, u.password_hash AS password_hash
LIMIT 1
