// Secondary indexes the queries need.
// Follower counts: celebrity lookups and "top accounts" analytics order by them.
CREATE INDEX user_follower_count IF NOT EXISTS FOR (u:User) ON (u.follower_count);
// Last feed read: the fan-out skips users inactive for FEEDGRAPH_ACTIVE_DAYS.
CREATE INDEX user_last_seen IF NOT EXISTS FOR (u:User) ON (u.last_feed_read_ms);
// Posts by creation time (explore, analytics windows).
CREATE INDEX post_created_at IF NOT EXISTS FOR (p:Post) ON (p.created_at);
// Outbox events not yet relayed to the Redis stream, oldest first.
CREATE INDEX outbox_event_created_at IF NOT EXISTS FOR (e:OutboxEvent) ON (e.created_at);
// Events on the stream, kept until its Redis has them on disk (feed/relay.py): a stream's oldest first,
// and by id.
CREATE INDEX published_event_origin IF NOT EXISTS FOR (e:PublishedEvent) ON (e.origin, e.published_at);
// Published events left unsettled by any stream (the housekeeping job forgets them after an hour).
CREATE INDEX published_event_published_at IF NOT EXISTS FOR (e:PublishedEvent) ON (e.published_at);
CREATE INDEX published_event_id IF NOT EXISTS FOR (e:PublishedEvent) ON (e.id);
// Relationship property indexes for time-windowed analytics.
CREATE INDEX follows_created_at IF NOT EXISTS FOR ()-[f:FOLLOWS]-() ON (f.created_at);
CREATE INDEX liked_at IF NOT EXISTS FOR ()-[l:LIKED]-() ON (l.at);
// An author's posts newest first: equality on author_id, then id descending straight from the index
// (author timelines and the celebrity pull read the first page without scanning all posts).
CREATE INDEX post_author_id IF NOT EXISTS FOR (p:Post) ON (p.author_id, p.id);
// Shares are feed entries with their own time-ordered id: hydration finds them by it.
CREATE INDEX shared_id IF NOT EXISTS FOR ()-[s:SHARED]-() ON (s.id);
// Celebrities (posts pulled at read time) are found among a user's followees by this flag.
CREATE INDEX user_pull_feed IF NOT EXISTS FOR (u:User) ON (u.pull_feed);
// Media never attached (the cleanup job) by status, oldest first.
CREATE INDEX media_status_created_at IF NOT EXISTS FOR (m:Media) ON (m.status, m.created_at);
// A user's notifications newest first, and their devices.
CREATE INDEX notification_user_id IF NOT EXISTS FOR (n:Notification) ON (n.user_id, n.id);
CREATE INDEX device_user_id IF NOT EXISTS FOR (d:Device) ON (d.user_id);
