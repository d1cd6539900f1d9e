// Package metaads is roasd's client for the Meta Graph / Marketing API. It
// reads a brand's partnership-ad (whitelisting) permissions, the ads of an
// ad account with their creatives, and per-ad daily insights, and it pauses
// ads and changes ad set budgets. It speaks roasd's neutral records (package
// ads) and knows nothing of the database.
//
// Calls go through one hashicorp/go-retryablehttp client whose retry policy
// reads Meta's own signals: the Graph error envelope (code, error_subcode,
// is_transient) and the usage headers (X-Business-Use-Case-Usage,
// X-Ad-Account-Usage, X-FB-Ads-Insights-Throttle). Transient failures and
// short throttles are retried with jittered backoff; invalid tokens (190),
// missing permissions (10, 200–299) and bad parameters (100) never are.
// Every failure is an *ads.APIError.
//
// The access token travels in the Authorization header, never in a URL, and
// the appsecret_proof (hex HMAC-SHA256 of the token keyed by the app secret)
// is redacted from every error and log line.
//
// Insights for long ranges use asynchronous report runs (POST
// /act_X/insights, poll the run, read /{run}/insights); a failed or skipped
// run is retried by splitting its range in halves.
package metaads
