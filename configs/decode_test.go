package configs

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"
)

// TestDecodeProblems pins the message and position of each decoding
// problem the golden files in testdata/invalid do not show: every line of
// the body below is appended to a valid brand header (lines 1–3), and the
// load must report exactly want.
func TestDecodeProblems(t *testing.T) {
	t.Parallel()
	const header = "brand: acme\ncurrency: USD\ntimezone: UTC\n"
	// meta is a valid accounts section (lines 4–5).
	const meta = "accounts:\n  meta: {ad_account: act_1001}\n"
	// okTest is a valid test whose keys a case may add to (line 8 on).
	const okTest = meta + "creators: [{handle: ana}]\ntests:\n  - id: t1\n    creator: ana\n    start: 2026-01-01\n    target_roas: 2\n    variants: [{key: a, platform: meta, kind: dark, ad_id: \"1\"}]\n"
	tests := []struct {
		name string
		body string
		want []string
	}{
		{"name with a space", meta + "creators: [{handle: \"a b\"}]\n",
			[]string{"c.yaml:6:21: handle: \"a b\" is not a valid name (use letters, digits, '.', '_' and '-')"}},
		{"section not a mapping", meta + "slack: \"#perf\"\n",
			[]string{"c.yaml:6:8: slack: want a mapping, got a string"}},
		{"account not a mapping", "accounts:\n  tiktok: \"7001\"\n",
			[]string{"c.yaml:5:11: accounts.tiktok: want a mapping, got a string"}},
		{"list item not a mapping", meta + "creators: [ana]\n",
			[]string{"c.yaml:6:12: creator: want a mapping, got a string"}},
		{"key not a string", meta + "? [a, b]\n: 1\n",
			[]string{"c.yaml:6:3: keys must be plain strings, got a list"}},
		{"merge of a scalar", meta + "slack: {<<: 3, channel: \"#perf\"}\n",
			[]string{"c.yaml:6:13: <<: want a mapping to merge, got an integer"}},
		{"discount code", meta + "creators: [{handle: ana, codes: [\"ANA 10\"]}]\n",
			[]string{"c.yaml:6:34: codes: \"ANA 10\" is not a discount code (letters, digits, '_' and '-')"}},
		{"link not http", meta + "creators: [{handle: ana, links: [\"ftp://x.example\"]}]\n",
			[]string{"c.yaml:6:34: links: \"ftp://x.example\" is not an http(s) URL"}},
		{"no checkpoints", okTest + "    checkpoints: []\n",
			[]string{"c.yaml:13:18: checkpoints: want at least one, e.g. [14d, 30d]"}},
		{"checkpoint a list", okTest + "    checkpoints: [[14]]\n",
			[]string{"c.yaml:13:19: checkpoints: want a duration like \"14d\", got a list"}},
		{"owner", okTest + "    owner: bob\n",
			[]string{"c.yaml:13:12: owner: \"bob\" is not a Slack user or user group id (want U0123ABCD, W0123ABCD or S0123ABCD)"}},
		{"too many decimals", okTest + "    budget_step: \"0.1234567890123\"\n",
			[]string{"c.yaml:13:18: budget_step: bad decimal \"0.1234567890123\" (at most 12 decimals)"}},
		{"start a list", strings.Replace(okTest, "start: 2026-01-01", "start: [2026-01-01]", 1),
			[]string{"c.yaml:10:12: start: want a date YYYY-MM-DD, got a list"}},
		{"money a list", okTest + "    min_spend: [1]\n",
			[]string{"c.yaml:13:16: min_spend: want an amount like \"500.00\", got a list"}},
		{"number for a string", strings.Replace(okTest, "creator: ana", "creator: 1.5", 1),
			[]string{"c.yaml:9:14: creator: want a string, got a number (quote it)"}},
		{"boolean for a string", meta + "slack: {channel: true}\n",
			[]string{"c.yaml:6:18: channel: want a string, got a boolean (quote it)"}},
		{"test missing keys", meta + "tests: [{id: t1}]\n",
			[]string{"c.yaml:6:9: test is missing required key \"creator\"", "c.yaml:6:9: test is missing required key \"start\"", "c.yaml:6:9: test is missing required key \"target_roas\"", "c.yaml:6:9: test is missing required key \"variants\""}},
		{"variant missing platform", strings.Replace(okTest, "platform: meta, ", "", 1),
			[]string{"c.yaml:12:16: variant is missing required key \"platform\""}},
		{"bonus missing keys", meta + "creators: [{handle: ana, fee: {bonuses: [{note: launch}]}}]\n",
			[]string{"c.yaml:6:42: bonus is missing required key \"amount\"", "c.yaml:6:42: bonus is missing required key \"date\""}},
		{"bonus near-miss key", meta + "creators: [{handle: ana, fee: {bonuses: [{date: 2026-01-01, amout: \"5\"}]}}]\n",
			[]string{"c.yaml:6:42: bonus is missing required key \"amount\"", "c.yaml:6:61: unknown key \"amout\" in bonus: did you mean \"amount\"? (allowed: date, amount, note)"}},
		{"slack without channel", meta + "slack: {approvers: S0123ABCD}\n",
			[]string{"c.yaml:6:8: slack is missing required key \"channel\""}},
		{"meta without ad_account", "accounts:\n  meta: {page: \"42\"}\n",
			[]string{"c.yaml:5:9: accounts.meta is missing required key \"ad_account\""}},
		{"tiktok without advertiser", "accounts:\n  tiktok: {}\n",
			[]string{"c.yaml:5:11: accounts.tiktok is missing required key \"advertiser\""}},
		{"shopify without shop", "accounts:\n  shopify: [{}]\n",
			[]string{"c.yaml:5:13: accounts.shopify is missing required key \"shop\""}},
		{"meta instagram", "accounts:\n  meta: {ad_account: act_1, instagram: \"@acme\"}\n",
			[]string{"c.yaml:5:40: instagram: \"@acme\" is not a numeric id"}},
		{"fx into another currency", meta + "fx_rates: [{from: EUR, to: GBP, rate: \"0.9\", since: 2026-01-01}]\n",
			[]string{"c.yaml:6:28: to: fx rates convert into the brand currency USD, not GBP"}},
		{"fx rate twice", meta + "fx_rates:\n  - {from: EUR, to: USD, rate: \"1.1\", since: 2026-01-01}\n  - {from: EUR, to: USD, rate: \"1.2\", since: 2026-01-01}\n",
			[]string{"c.yaml:8:5: fx rate EUR->USD since 2026-01-01 is already set at c.yaml:7:5"}},
		{"brand setting in a second document", "---\nbrand: acme\ntimezone: Europe/Paris\n",
			[]string{"c.yaml:6:1: timezone of brand \"acme\" is already set at c.yaml:3:1"}},
		{"whole number out of range", meta + "restatement_days: 99999999999\n",
			[]string{"c.yaml:6:19: restatement_days: 99999999999 is out of range (at most 2147483647)"}},
		{"whole number beyond 64 bits", meta + "refund_horizon_days: -99_999_999_999_999_999_999\n",
			[]string{"c.yaml:6:22: refund_horizon_days: -99_999_999_999_999_999_999 is out of range (at least -2147483648)"}},
		{"fraction for a whole number", meta + "restatement_days: 7.5\n",
			[]string{"c.yaml:6:19: restatement_days: want a whole number, got a number"}},
		{"null brand", meta + "---\nbrand:\nslack: {channel: \"#perf\"}\n",
			[]string{"c.yaml:7:1: missing required key \"brand\" (the brand every key in this file belongs to)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			src := header + tt.body
			_, err := LoadFS(fstest.MapFS{"c.yaml": {Data: []byte(src)}}, "c.yaml")
			var probs *Problems
			if !errors.As(err, &probs) {
				t.Fatalf("load of\n%s= %v, want problems %q", src, err, tt.want)
			}
			var got []string
			for _, p := range probs.List {
				got = append(got, p.String())
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("load of\n%sgot problems\n%#v\nwant\n%#v", src, got, tt.want)
			}
		})
	}
}

// TestFieldSetKeysUnique checks no mapping of the schema lists a key
// twice (the second would never decode).
func TestFieldSetKeysUnique(t *testing.T) {
	t.Parallel()
	for what, keys := range map[string][]string{
		brandFile.what: brandFile.keys(), accountFields.what: accountFields.keys(), metaFields.what: metaFields.keys(),
		tiktokFields.what: tiktokFields.keys(), shopifyFields.what: shopifyFields.keys(), slackFields.what: slackFields.keys(),
		fxFields.what: fxFields.keys(), creatorFields.what: creatorFields.keys(), feeFields.what: feeFields.keys(),
		bonusFields.what: bonusFields.keys(), testFields.what: testFields.keys(), variantFields.what: variantFields.keys(),
		utmFields.what: utmFields.keys(),
	} {
		seen := map[string]bool{}
		for _, k := range keys {
			if seen[k] {
				t.Errorf("%s lists key %q twice: %v", what, k, keys)
			}
			seen[k] = true
		}
	}
}
