// Purpose: what every viewer sees alike of the given feed entries and users, to fill the post cache
// (cache/post_cards.py). An entry id is a post's or a repost's (SHARED.id): a post comes with its
// counts and media, a repost with its share card and the card of the post it shows; every post with
// its author's profile, every repost with its sharer's; and each given user's public profile. No check
// for a viewer here: feed/filter_entries.cypher, or the cached viewer state, decides what a viewer sees.
// Parameters: $entry_ids (list of ints), $user_ids (list of ints).
// Columns (one row): posts (list of post maps, media in order; counts_version orders them against the
// counts recorded after writes), shares (list of repost maps: id, share_of, sharer_id, quote,
// shared_at), users (list of profile maps). Ids that do not exist are simply missing from the lists
// (no row at all when nothing exists).
CALL {
  UNWIND $entry_ids AS entry_id
  MATCH (sharer:User)-[s:SHARED {id: entry_id}]->(shown:Post)
  RETURN collect({id: entry_id, share_of: shown.id, sharer_id: sharer.id, quote: s.quote,
                  shared_at: s.at}) AS shares
}
WITH shares, $entry_ids + [s IN shares | s.share_of] AS post_ids,
     $user_ids + [s IN shares | s.sharer_id] AS user_ids
CALL {
  WITH post_ids
  UNWIND post_ids AS post_id
  MATCH (p:Post {id: post_id})
  WITH DISTINCT p
  RETURN collect(p {.id, .author_id, .content, .visibility, .media_ids, .created_at, .like_count,
                    .comment_count, .share_count, .counts_version,
                    media: COLLECT { MATCH (p)-[r:HAS_MEDIA]->(m:Media)
                                     RETURN m {.id, .type, .width, .height, .duration, .blurhash,
                                               .original_key, .thumb_key}
                                     ORDER BY r.position }}) AS posts
}
CALL {
  WITH post_ids
  UNWIND post_ids AS post_id
  MATCH (u:User)-[:POSTED]->(:Post {id: post_id})
  RETURN u
  UNION
  WITH user_ids
  UNWIND user_ids AS user_id
  MATCH (u:User {id: user_id})
  RETURN u
}
RETURN posts, shares, collect(u {.id, .username, .display_name, .avatar_url}) AS users
