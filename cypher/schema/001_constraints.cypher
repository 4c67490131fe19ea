// Uniqueness constraints. Each one also backs a range index used for lookups by that key.
// Applied at start-up, idempotently (IF NOT EXISTS). Ids are 64-bit integers from core/ids.py.
CREATE CONSTRAINT user_id IF NOT EXISTS FOR (u:User) REQUIRE u.id IS UNIQUE;
// Usernames are unique case-insensitively: the lower-cased copy carries the constraint.
CREATE CONSTRAINT user_username_lower IF NOT EXISTS FOR (u:User) REQUIRE u.username_lower IS UNIQUE;
CREATE CONSTRAINT user_email IF NOT EXISTS FOR (u:User) REQUIRE u.email IS UNIQUE;
CREATE CONSTRAINT post_id IF NOT EXISTS FOR (p:Post) REQUIRE p.id IS UNIQUE;
CREATE CONSTRAINT comment_id IF NOT EXISTS FOR (c:Comment) REQUIRE c.id IS UNIQUE;
CREATE CONSTRAINT hashtag_tag IF NOT EXISTS FOR (h:Hashtag) REQUIRE h.tag IS UNIQUE;
CREATE CONSTRAINT outbox_event_id IF NOT EXISTS FOR (e:OutboxEvent) REQUIRE e.id IS UNIQUE;
CREATE CONSTRAINT media_id IF NOT EXISTS FOR (m:Media) REQUIRE m.id IS UNIQUE;
// One notification per event and recipient: redelivered events cannot duplicate one.
CREATE CONSTRAINT notification_event_user IF NOT EXISTS FOR (n:Notification) REQUIRE (n.id, n.user_id) IS UNIQUE;
CREATE CONSTRAINT device_token IF NOT EXISTS FOR (d:Device) REQUIRE d.token IS UNIQUE;
