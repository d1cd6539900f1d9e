// Package notify tells Slack what roasd decided: it renders alerts
// (verdicts, guards, permission and hygiene problems, platform actions) as
// Block Kit messages and delivers them from a transactional outbox with
// slack-go, one thread per test, updating a verdict's message in place when
// it changes.
//
// Delivery is exactly-once per dedup key as far as Slack allows: alerts
// are queued in the same database transaction as the change they announce,
// a Sender claims them with a lease (SKIP LOCKED), posts, and acknowledges
// each with the Slack channel and ts before moving on. Failures are
// retried with backoff; HTTP 429 Retry-After is honoured by rescheduling,
// never by sleeping. notify never imports the store: the outbox is the
// Outbox interface declared here.
package notify
