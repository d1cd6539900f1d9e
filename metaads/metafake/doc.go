// Package metafake is a faithful fake of the parts of the Meta Graph /
// Marketing API that roasd uses, written from Meta's documented JSON shapes:
//
//	GET  /{version}/act_{id}                                 ad account (currency, timezone_name)
//	GET  /{version}/act_{id}/ads                             ads with nested creative, cursor paging, updated_since, filtering on campaign.id / adset.id
//	GET  /{version}/act_{id}/campaigns                       campaigns (budgets, Advantage+ state), updated_since
//	GET  /{version}/act_{id}/adsets                          ad sets (campaign, status, updated_time), updated_since
//	GET  /{version}/act_{id}/insights                        synchronous insights (level=ad, time_increment=1)
//	POST /{version}/act_{id}/insights                        async report run -> {"report_run_id": ...}
//	GET  /{version}/{report_run_id}                          AdReportRun (async_status, async_percent_completion)
//	GET  /{version}/{report_run_id}/insights                 the run's rows, cursor paging
//	GET  /{version}/{ig_user_id}/branded_content_ad_permissions      partnership-ad permissions
//	GET  /{version}/{ig_user_id}/branded_content_advertisable_medias creator media (removed from LegacyMediaRemoved on the seed's clock)
//	GET  /{version}/{business_id}/partnership-ads-advertisable-content  its successor (limit 1–50, forward-only paging)
//	GET  /{version}/{adset_id}?fields=daily_budget           ad set budget (minor units, string)
//	POST /{version}/{ad_id} status=PAUSED                    pause an ad
//	POST /{version}/{adset_id} daily_budget=N                change a budget
//
// Money is sent as decimal strings, counts as integer strings, results as
// actions / action_values arrays of {"action_type","value", "<window>"...},
// lists as {"data":[...],"paging":{"cursors":{"before","after"},"next"}} with
// absolute next URLs built from the request's own Host, and failures as the
// Graph error envelope {"error":{"message","type","code","error_subcode",
// "is_transient","fbtrace_id"}} with the X-Business-Use-Case-Usage,
// X-Ad-Account-Usage and X-FB-Ads-Insights-Throttle headers.
//
// Reads return only the requested fields (top level and nested, as
// "creative{id,url_tags}") plus id, and only id (content_id on the
// successor media edge) without fields; a field the node type lacks is
// Graph's error 100. Archived and deleted ads, and their insights rows,
// are hidden unless an effective_status (ads) or ad.effective_status
// filtering (insights) names them. Ads and campaigns carry updated_time
// (the server's start unless seeded), moved by a write through the API,
// a deletion and AddAd; updated_since (unix seconds) lists only the
// objects updated after it, and anything but an integer is error 100.
// Ad sets carry one too. SetCampaignStatus and SetAdSetStatus pause a
// parent as a person does: its updated_time moves, and its ACTIVE ads'
// effective_status turns CAMPAIGN_PAUSED or ADSET_PAUSED while their own
// updated_time stays. The ads edge's filtering takes campaign.id and
// adset.id with IN and 1 to MaxFilterValues ids; another field, operator
// or count is error 100.
// PurgeAd removes a deleted ad from every list, as Meta does in time.
// Bodies may be forms or JSON (the Node SDK posts JSON).
//
// A Server is an http.Handler seeded from Go values (Seed), safe for
// concurrent use, with fault-injection knobs (FailNext, Throttle, Usage,
// ReduceDataAbove, Latency, ExpireToken, FailAsyncJobs, SkipAsyncJobs,
// AsyncRunning) and a record of calls (Calls). It imports nothing from the client it fakes, and it is
// product code: `roasd sandbox` serves it.
//
// Files follow the Graph API's edges: server.go (the server, its knobs,
// the one request prologue — version, token, faults, throttles, usage
// headers, recording — object reads and writes, paging), batch.go (Graph
// batch requests), ads.go (ads and their statuses), insights.go (sync and
// async insights), partnership.go (permissions, advertisable media and
// content), campaigns.go, token.go (debug_token), fields.go, seed.go.
package metafake
