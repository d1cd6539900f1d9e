package notify

import (
	"net/http"
	"strings"

	"github.com/slack-go/slack"

	"github.com/roasd/roasd/internal/platformhttp"
)

// NewSlack returns a slack-go client for token. apiURL overrides the Web
// API base (SLACK_API_URL, e.g. a fake's "http://127.0.0.1:8080/api/"); a
// missing trailing slash is added, as slack-go appends method names to it.
// httpClient nil means a client with a 30s timeout.
func NewSlack(token, apiURL string, httpClient *http.Client) *slack.Client {
	opts := []slack.Option{slack.OptionHTTPClient(platformhttp.HTTPClient(httpClient, defaultHTTPTimeout))}
	if apiURL != "" {
		if !strings.HasSuffix(apiURL, "/") {
			apiURL += "/"
		}
		opts = append(opts, slack.OptionAPIURL(apiURL))
	}
	return slack.New(token, opts...)
}
