// Purpose: turn a batch of events into notifications in one transaction (idempotent: one per event and
// recipient). A like, comment or share notifies the post's author; a follow notifies the followed user;
// a new post notifies the users it mentions who may see it. Nobody is notified of their own action, nor
// by someone they block, who blocks them, or whom they mute. One transaction per batch, not per event:
// a viral post's likes arrive by the thousand per second.
// Parameters: $events (list of maps {event_id: int (also the notification id), type: event type,
// kind: like | comment | share | follow | mention, actor_id: int, post_id: int or null,
// user_id: int or null}), $now (int ms).
// Columns: event_id (int), recipient (int), created (bool: new notification, not a redelivery),
// actor_username (string); in the order of $events.
UNWIND $events AS e
MATCH (actor:User {id: e.actor_id})
CALL (actor, e) {
  WITH actor, e WHERE e.type IN ['post_liked', 'comment_created', 'post_shared']
  MATCH (r:User)-[:POSTED]->(:Post {id: e.post_id})
  RETURN r
  UNION
  WITH actor, e WHERE e.type = 'user_followed'
  MATCH (r:User {id: e.user_id})
  RETURN r
  UNION
  WITH actor, e WHERE e.type = 'post_created'
  MATCH (p:Post {id: e.post_id})-[:MENTIONS]->(r:User)
  WHERE p.visibility = 'public' OR (p.visibility = 'followers' AND EXISTS { (r)-[:FOLLOWS]->(actor) })
  RETURN r
}
WITH e, actor, r
WHERE r <> actor AND NOT EXISTS { (r)-[:BLOCKS]-(actor) } AND NOT EXISTS { (r)-[:MUTES]->(actor) }
MERGE (n:Notification {id: e.event_id, user_id: r.id})
ON CREATE SET n.kind = e.kind, n.actor_id = actor.id, n.post_id = e.post_id, n.created_at = $now,
              n.read = false, n._new = true
WITH e, actor, r, n, n._new IS NOT NULL AS created
REMOVE n._new
RETURN e.event_id AS event_id, r.id AS recipient, created, actor.username AS actor_username
