package configs

import (
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// secretKeyWords mark a key whose value is a credential.
var secretKeyWords = []string{"token", "secret", "password", "passwd", "api_key", "apikey", "private_key"}

// secretPrefixes are the documented prefixes of platform credentials, with
// the environment variable each belongs in.
var secretPrefixes = []struct{ prefix, what, env string }{
	{"shpat_", "a Shopify access token", "SHOPIFY_ACCESS_TOKEN"},
	{"shpca_", "a Shopify access token", "SHOPIFY_ACCESS_TOKEN"},
	{"shppa_", "a Shopify access token", "SHOPIFY_ACCESS_TOKEN"},
	{"shpss_", "a Shopify shared secret", "SHOPIFY_WEBHOOK_SECRET"},
	{"xoxb-", "a Slack token", "SLACK_BOT_TOKEN"},
	{"xoxp-", "a Slack token", "SLACK_BOT_TOKEN"},
	{"xoxa-", "a Slack token", "SLACK_BOT_TOKEN"},
	{"xoxe", "a Slack token", "SLACK_BOT_TOKEN"},
	{"xapp-", "a Slack token", "SLACK_BOT_TOKEN"},
}

var (
	metaTokenRE = regexp.MustCompile(`^EAA[A-Za-z0-9]{20,}$`)
	hexTokenRE  = regexp.MustCompile(`^[0-9a-fA-F]{32,}$`)
	wordSplitRE = regexp.MustCompile(`[^A-Za-z0-9_-]+`)
)

// envFor names the environment variable a secret found under section
// (accounts.meta, slack, …) or key belongs in.
func envFor(section, key string) string {
	s := strings.ToLower(section + " " + key)
	switch {
	case strings.Contains(s, "shopify") && (strings.Contains(s, "webhook") || strings.Contains(s, "secret")):
		return "SHOPIFY_WEBHOOK_SECRET"
	case strings.Contains(s, "shopify"):
		return "SHOPIFY_ACCESS_TOKEN"
	case strings.Contains(s, "tiktok"):
		return "TIKTOK_ACCESS_TOKEN"
	case strings.Contains(s, "slack") && strings.Contains(s, "signing"):
		return "SLACK_SIGNING_SECRET"
	case strings.Contains(s, "slack"):
		return "SLACK_BOT_TOKEN"
	case strings.Contains(s, "meta") && strings.Contains(s, "secret"):
		return "META_APP_SECRET"
	}
	return "META_ACCESS_TOKEN"
}

// secretMessage is the advice for a secret found in YAML; it never contains
// the secret.
func secretMessage(found, env string) string {
	return found + ": secrets belong in the environment (e.g. " + env + "), not in YAML"
}

// scanSecrets reports keys named like credentials and values shaped like
// platform tokens anywhere under n, and marks those nodes so no other message
// quotes them.
func (l *loader) scanSecrets(n *yaml.Node, section string) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind == yaml.ScalarNode && secretKey(k.Value) {
				l.secrets[k] = true
				markAll(l.secrets, v)
				l.errorf(k, "%s", secretMessage("key "+quoteKey(k.Value)+" holds a secret", envFor(section, k.Value)))
				continue
			}
			sub := section
			if k.Kind == yaml.ScalarNode {
				sub = section + "." + k.Value
			}
			l.scanSecretValue(v, sub, k.Value)
			l.scanSecrets(v, sub)
		}
	case yaml.SequenceNode:
		for _, c := range n.Content {
			l.scanSecretValue(c, section, "")
			l.scanSecrets(c, section)
		}
	}
}

// scanSecretValue reports a scalar that looks like a credential.
func (l *loader) scanSecretValue(n *yaml.Node, section, key string) {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
		return
	}
	what, env := secretValue(n.Value, key)
	if what == "" {
		return
	}
	if env == "" {
		env = envFor(section, key)
	}
	l.secrets[n] = true
	l.errorf(n, "%s", secretMessage("value looks like "+what, env))
}

// secretValue says what kind of credential s looks like ("" if none) and,
// when the shape tells, where it belongs.
func secretValue(s, key string) (what, env string) {
	for _, w := range wordSplitRE.Split(s, -1) {
		for _, p := range secretPrefixes {
			if strings.HasPrefix(w, p.prefix) && len(w) > len(p.prefix)+8 {
				return p.what, p.env
			}
		}
		if metaTokenRE.MatchString(w) {
			return "a Meta access token", "META_ACCESS_TOKEN"
		}
		// TikTok access tokens are long hex strings; Spark codes are not
		// secrets of ours to keep out (the design puts them in YAML).
		if key != "spark_code" && hexTokenRE.MatchString(w) && strings.ContainsAny(strings.ToLower(w), "abcdef") && strings.ContainsAny(w, "0123456789") {
			return "an access token", "TIKTOK_ACCESS_TOKEN"
		}
	}
	return "", ""
}

// secretKey reports whether a key's name says its value is a credential.
func secretKey(k string) bool {
	k = strings.ToLower(k)
	for _, w := range secretKeyWords {
		if strings.Contains(k, w) {
			return true
		}
	}
	return false
}

// markAll marks n and everything under it.
func markAll(m map[*yaml.Node]bool, n *yaml.Node) {
	m[n] = true
	for _, c := range n.Content {
		markAll(m, c)
	}
}

// quoteKey quotes a key name for a message.
func quoteKey(k string) string { return `"` + k + `"` }
