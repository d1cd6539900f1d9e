// Package tiktokfake is a faithful fake of the parts of the TikTok API for
// Business (Marketing API v1.3) that roasd uses, written from TikTok's
// documented JSON shapes:
//
//	GET  /open_api/v1.3/advertiser/info/          advertiser_ids=[...] -> list[].{advertiser_id,name,currency,timezone,display_timezone}
//	POST /open_api/v1.3/tt_video/authorize/       apply a creator's Spark authorization code -> {}
//	GET  /open_api/v1.3/tt_video/info/            auth_code -> {item_info, auth_info, user_info, video_info}
//	GET  /open_api/v1.3/tt_video/list/            authorized posts, page_size 1-50, keyword = caption text or item id
//	GET  /open_api/v1.3/ad/get/                   ads, fields/filtering as JSON strings, page_size 1-1000,
//	                                              filtering.modified_after (UTC "YYYY-MM-DD HH:MM:SS")
//	GET  /open_api/v1.3/campaign/get/             campaigns (budget mode, automation), modified_after too
//	GET  /open_api/v1.3/adgroup/get/              ad groups with budget (JSON number) and budget_mode, modified_after too
//	GET  /open_api/v1.3/report/integrated/get/    BASIC / AUCTION_AD report by ["ad_id","stat_time_day"],
//	                                              at most 30 days, page_size 1-1000, metrics as strings
//	POST /open_api/v1.3/ad/status/update/         ad_ids (<=20), operation_status ENABLE|DISABLE|DELETE
//	POST /open_api/v1.3/adgroup/budget/update/    budget[] (lifetime budgets, immediate) / scheduled_budget[]
//	                                              (daily budgets, from 00:00 the next day); budget[] on a
//	                                              daily ad group is refused with 40002
//
// Every answer is HTTP 200 with the envelope {"code","message","request_id",
// "data"}; lists carry page_info {"page","page_size","total_number",
// "total_page"}. IDs are strings, report metrics are strings (money as
// decimals in the advertiser's currency, counts as integers), budgets are
// JSON numbers, times are UTC "YYYY-MM-DD HH:MM:SS". A path without its
// trailing slash is an HTTP 404 with no envelope, as on the real API.
// Ads, ad groups and campaigns carry modify_time (the server's start
// unless seeded), moved by a status write and SetAd but not by a status
// TikTok derives (a Spark authorization lost; AD_STATUS_CAMPAIGN_DISABLE or
// AD_STATUS_ADGROUP_DISABLE after SetCampaignStatus / SetAdGroupStatus,
// which move the parent's instead); modified_after keeps the objects
// modified after it, and a malformed one is 40002, as are a filtering
// field TikTok does not document and an id list (campaign_ids,
// adgroup_ids, ad_ids) outside 1–MaxFilterIDs. PurgeAd removes an ad from
// every list, as a deleted ad purged in time.
//
// Return codes used: 40100 rate limit, 40104 empty token, 40105 wrong or
// revoked token, 40102 expired token (ExpireToken), 40001 no permission on
// the advertiser, 40002 invalid parameter (including a date span over 30
// days, an out-of-range page_size, applying an expired or already applied
// Spark code), 40007 unknown object, 50000 internal error. The exact code
// TikTok returns when a Spark code is re-applied or has expired is not
// published; this fake answers 40002.
//
// A Server is an http.Handler seeded from Go values (Seed), safe for
// concurrent use, with fault-injection knobs (RateLimit, FailNext, Latency,
// ExpireToken, ExpireSpark, RevokeSpark), data mutation (SetReport,
// Restate) and a record of calls (Calls). It imports nothing from the client
// it fakes, and it is product code: `roasd sandbox` serves it.
//
// Files follow the API's endpoint families: server.go (the server, its
// knobs, the one request prologue — token, quota, faults, recording — and
// advertiser info), spark.go (Spark authorizations), ads.go (ads, ad
// groups, status and budget updates), campaign.go, report.go (the
// integrated report) with metrics.go (its metric list).
package tiktokfake
