// Package tiktokads is roasd's client of the TikTok API for Business
// (Marketing API v1.3): Spark Ads authorizations, ads, the daily per-ad
// integrated report, pausing ads and changing ad group budgets. It speaks
// the platform-neutral records of package ads.
//
// Every TikTok answer is HTTP 200 with {"code","message","request_id",
// "data"}; a non-zero code becomes an *ads.APIError whose Kind says what to
// do. Rate limits (40100, 40133, ...) and server errors (5xxxx, HTTP 5xx)
// are retried with jittered exponential backoff by a
// hashicorp/go-retryablehttp client; token, permission and parameter errors
// are never retried. The access token travels only in the Access-Token
// header and is scrubbed from every error and log line.
package tiktokads
