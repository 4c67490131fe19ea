// Purpose: turn one event into notifications (idempotent: one per event and recipient). A like, comment
// or share notifies the post's author; a follow notifies the followed user; a new post notifies the
// users it mentions who may see it. Nobody is notified of their own action, nor by someone they block,
// who blocks them, or whom they mute.
// Parameters: $event_id (int: also the notification id), $type (event type), $kind (like | comment |
// share | follow | mention), $actor_id (int), $post_id (int or null), $user_id (int or null), $now (int ms).
// Columns: recipient (int), created (bool: new notification, not a redelivery), actor_username (string).
MATCH (actor:User {id: $actor_id})
CALL (actor) {
  WITH actor WHERE $type IN ['post_liked', 'comment_created', 'post_shared']
  MATCH (r:User)-[:POSTED]->(:Post {id: $post_id})
  RETURN r
  UNION
  WITH actor WHERE $type = 'user_followed'
  MATCH (r:User {id: $user_id})
  RETURN r
  UNION
  WITH actor WHERE $type = 'post_created'
  MATCH (p:Post {id: $post_id})-[:MENTIONS]->(r:User)
  WHERE p.visibility = 'public' OR (p.visibility = 'followers' AND EXISTS { (r)-[:FOLLOWS]->(actor) })
  RETURN r
}
WITH actor, r
WHERE r <> actor AND NOT EXISTS { (r)-[:BLOCKS]-(actor) } AND NOT EXISTS { (r)-[:MUTES]->(actor) }
MERGE (n:Notification {id: $event_id, user_id: r.id})
ON CREATE SET n.kind = $kind, n.actor_id = actor.id, n.post_id = $post_id, n.created_at = $now,
              n.read = false, n._new = true
WITH actor, r, n, n._new IS NOT NULL AS created
REMOVE n._new
RETURN r.id AS recipient, created, actor.username AS actor_username
