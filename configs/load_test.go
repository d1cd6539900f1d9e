package configs

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/roasd/roasd/ads"
)

var update = flag.Bool("update", false, "rewrite testdata/invalid/*.golden")

// TestInvalidGolden loads every case under testdata/invalid (a file or a
// directory) and compares all its problems with <case>.golden.
func TestInvalidGolden(t *testing.T) {
	t.Parallel()
	entries, err := os.ReadDir("testdata/invalid")
	if err != nil {
		t.Fatal(err)
	}
	var cases []string
	for _, e := range entries {
		if e.IsDir() || isYAML(e.Name()) {
			cases = append(cases, e.Name())
		}
	}
	if len(cases) < 20 {
		t.Fatalf("found %d invalid cases, want at least 20", len(cases))
	}
	for _, name := range cases {
		t.Run(strings.TrimSuffix(name, filepath.Ext(name)), func(t *testing.T) {
			t.Parallel()
			p := filepath.Join("testdata/invalid", name)
			set, err := Load(p)
			var probs *Problems
			if !errors.As(err, &probs) {
				t.Fatalf("Load(%s) = %v, %v; want *Problems", p, set, err)
			}
			if set != nil {
				t.Errorf("Load(%s) returned a set along with problems", p)
			}
			got := err.Error() + "\n"
			golden := strings.TrimSuffix(p, filepath.Ext(p)) + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("reading golden (run go test -update): %v", err)
			}
			if got != string(want) {
				t.Errorf("problems of %s differ from %s\ngot:\n%s\nwant:\n%s", p, golden, got, want)
			}
			// Problems are sorted and each line is file:line:col: message.
			for i, q := range probs.List {
				if q.Pos.Line < 1 || q.Pos.Col < 1 || !strings.HasPrefix(q.Pos.File, p) {
					t.Errorf("problem %d has a bad position: %v", i, q)
				}
				if i > 0 && comparePos(probs.List[i-1].Pos, q.Pos) > 0 {
					t.Errorf("problems not sorted at %d: %v after %v", i, q, probs.List[i-1])
				}
			}
		})
	}
}

// TestProblemClasses pins which message each problem class produces, so a
// golden refresh cannot silently lose one.
func TestProblemClasses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file string
		want []string // substrings, each of which must be in some line
	}{
		{"unknown_key.yaml", []string{`7:1: unknown key "colour" in brand file (allowed: brand,`, `unknown key "fees" in creator: did you mean "fee"?`, `unknown key "campain" in utm: did you mean "campaign"?`}},
		{"wrong_type.yaml", []string{"restatement_days: want a whole number, got a string", "codes: want a list, got a string", "commission: want a decimal number, got a list", "creator: want a string, got a mapping", "target_roas: want a number, got a string", "variants: want a list, got a mapping"}},
		{"bad_date.yaml", []string{`since: bad date "2026-13-01" (month 13 is not 1–12`, `date: bad date "next friday" (want YYYY-MM-DD)`, `start: bad date "2026-02-30" (day 30 is not 1–28: February 2026 has 28 days)`, `start: bad date "01/03/2026"`}},
		{"near_miss_key.yaml", []string{`unknown key "target_rosa" in test: did you mean "target_roas"?`, `unknown key "targetROAS" in test: did you mean "target_roas"?`, `unknown key "checkpoint" in test: did you mean "checkpoints"?`}},
		{"retired_windows.yaml", []string{`5:64: attribution_windows: Meta stopped returning "7d_view" on 2026-01-12, so its conversions would read as zero; the windows still available are 1d_click, 7d_click, 28d_click, 1d_view or 1d_ev`, `Meta stopped returning "28d_view" on 2026-01-12`}},
		{"reused_utm", []string{`reused_utm/a-new-tests.yaml:10:62: content: utm_content "hook-a" is already used by variant autumn/a1 at testdata/invalid/reused_utm/tests.yaml:8:62`, `a-new-tests.yaml:11:62: content: utm_content "Hook-B" is already used by variant autumn/a2 as "hook-b"`}},
		{"bad_duration.yaml", []string{`checkpoints: bad duration "14days"`, `checkpoints: bad duration "2m"`, "checkpoints: 0d must be after the start", "checkpoints: 2w must come after the previous checkpoint (30 days)"}},
		{"duplicate_test_id.yaml", []string{`16:9: id: test "t1" is already declared at testdata/invalid/duplicate_test_id.yaml:10:9`}},
		{"duplicate_variant_key.yaml", []string{`key: variant "a" is already in this test at`}},
		{"unknown_creator.yaml", []string{`creator: "anna" is not a creator of brand "acme" (known: ana, ben)`}},
		{"negative_fee.yaml", []string{"flat: a fee must not be negative, got -500.00", "amount: a bonus must not be negative, got -25.00", "min_spend: must not be negative", "max_daily_budget: must not be negative"}},
		{"commission_range.yaml", []string{"commission: 15 is outside 0..1", "commission: -0.1 is outside 0..1", "commission: 1.5 is outside 0..1", `commission_on: unknown basis "everything"`}},
		{"floor_above_target.yaml", []string{"floor_roas: 2.5 is above target_roas 2"}},
		{"shared_utm_content.yaml", []string{`content: utm_content "hook" is already used by variant t1/a at`}},
		{"secrets.yaml", []string{`key "access_token" holds a secret: secrets belong in the environment (e.g. META_ACCESS_TOKEN), not in YAML`, `key "api_key" holds a secret: secrets belong in the environment (e.g. SHOPIFY_ACCESS_TOKEN)`, `key "bot_token" holds a secret: secrets belong in the environment (e.g. SLACK_BOT_TOKEN)`, "value looks like a Shopify access token", "value looks like an access token: secrets belong in the environment (e.g. TIKTOK_ACCESS_TOKEN)", "value looks like a Meta access token"}},
		{"syntax_error.yaml", []string{"syntax_error.yaml:6:4: line 6 is indented by 3 spaces but the lines it belongs with by 4: indent it like them"}},
		{"bad_indent.yaml", []string{"bad_indent.yaml:2:2: line 2 is indented by 1 space but the lines it belongs with by 0"}},
		{"syntax_flow.yaml", []string{"syntax_flow.yaml:4:5: YAML syntax error:"}},
		{"tab_indent.yaml", []string{"tab_indent.yaml:3:1: line 3 is indented with a tab; YAML indents with spaces only"}},
		{"platform_kind.yaml", []string{`platform: unknown platform "snapchat" (want meta or tiktok)`, `kind: unknown kind "boosted" (want whitelisted, spark or dark)`, "kind: spark ads run on tiktok", "kind: whitelisted ads run on meta", "spark_code: only spark variants", "item_id: only tiktok variants"}},
		{"unmatchable_variant.yaml", []string{`variant "a": a spark variant needs spark_code, item_id or ad_id`, `variant "b": a whitelisted variant needs ad_id or utm content`, `variant "c": a dark variant needs ad_id or utm content`, `ad_id: "12021x" is not a numeric id`}},
		{"missing_account.yaml", []string{`platform: variant runs on tiktok but brand "acme" has no accounts.tiktok`}},
		{"bad_accounts.yaml", []string{`currency: "usd" is not a currency code`, `timezone: unknown IANA time zone "Mars/Olympus_Mons"`, `ad_account: "1234567890" is not a Meta ad account id (want act_<digits>)`, `page: "facebook.com/acme" is not a numeric id`, `unknown window "90d_view"`, `advertiser: "adv-7" is not a TikTok advertiser id`, `shop: "acme.com" is not a Shopify shop domain`, `unknown key "snapchat" in accounts`, `channel: "creator perf" is not a Slack channel`, "restatement_days: want at least 1 day, got 0", "refund_horizon_days: want 1 to 460 days, got 0", `to: "usd" is not a currency code`, "rate: an exchange rate must be above 0", "to: a rate from USD to itself", `fx rate is missing required key "to"`, `fx rate is missing required key "since"`}},
		{"slack_schedule.yaml", []string{`8:14: digest_at: "9am" is not a time of day`, `9:18: weekly_digest: "mondays" is not a weekday (want a day such as "monday"`, `10:16: quiet_hours: "22:00" is not a range of times`}},
		{"enums.yaml", []string{"target_roas: must be above 0, got 0", "target_roas: must be above 0, got -1", `attribution: unknown policy "last-click" (want utm-first or code-first)`, `actions: unknown mode "autopilot" (want alert, apply or approve)`, "budget_step: 1.5 is outside (0, 1]", "floor_roas: must not be negative"}},
		{"money_float.yaml", []string{`flat: write money as a quoted decimal string like "500.50", not a YAML number`, `min_spend: write money as a quoted decimal string`, `max_daily_budget: bad amount "12.3456789"`}},
		{"missing_required.yaml", []string{`missing required key "brand"`, `creator is missing required key "handle"`, `test is missing required key "creator"`, "variants: a test needs at least one variant", `test is missing required key "id"`, `variant is missing required key "key"`, `variant is missing required key "kind"`}},
		{"missing_brand_settings.yaml", []string{`brand "acme" has no currency`, `brand "acme" has no timezone`}},
		{"duplicate_key.yaml", []string{`9:5: duplicate key "handle" (first at line 8)`, `duplicate key "target_roas" (first at line 14)`}},
		{"not_a_mapping.yaml", []string{"a config file holds a mapping"}},
		{"duplicate_accounts", []string{`acme.yaml:8:20: meta ad account act_111 is already listed for brand "acme" at testdata/invalid/duplicate_accounts/acme.yaml:6:20`, `tiktok advertiser 7001 is already listed for brand "acme"`, `zeta.yaml:5:22: meta ad account act_222 already belongs to brand "acme" at testdata/invalid/duplicate_accounts/acme.yaml:7:20`, `zeta.yaml:8:13: shopify shop acme-eu.myshopify.com already belongs to brand "acme"`, "accounts.tiktok: want at least one account"}},
		{"multifile", []string{`creators.yaml:2:1: currency of brand "acme" is already set at testdata/invalid/multifile/brand.yaml:3:1`, `tests.yaml:3:13: creator "ben" is already declared at testdata/invalid/multifile/creators.yaml:6:13`, `tests.yaml:4:13: codes: "ANA10" is already the code of creator "ana" at testdata/invalid/multifile/creators.yaml:5:13`, `tests.yaml:13:14: creator: "cleo" is not a creator of brand "acme" (known: ana, ben)`, `tests.yaml:17:68: content: utm_content "a" is already used by variant t1/a at testdata/invalid/multifile/tests.yaml:11:68`, `tests.yaml:6:9: id: test "t1" is already declared at testdata/invalid/multifile/tests-more.yml:3:9`}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			_, err := Load(filepath.Join("testdata/invalid", tt.file))
			if err == nil {
				t.Fatalf("Load(%s) succeeded, want problems", tt.file)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("problems of %s lack %q; got:\n%v", tt.file, w, err)
				}
			}
		})
	}
}

// TestManyProblemsAtOnce checks one run reports every problem, not the first.
func TestManyProblemsAtOnce(t *testing.T) {
	t.Parallel()
	_, err := Load("testdata/invalid/many_problems.yaml")
	var probs *Problems
	if !errors.As(err, &probs) {
		t.Fatalf("got %v, want *Problems", err)
	}
	if len(probs.List) < 15 {
		t.Errorf("got %d problems, want at least 15:\n%v", len(probs.List), err)
	}
}

// TestSecretsNeverEchoed checks no secret value appears in a message.
func TestSecretsNeverEchoed(t *testing.T) {
	t.Parallel()
	_, err := Load("testdata/invalid/secrets.yaml")
	if err == nil {
		t.Fatal("secrets.yaml loaded without problems")
	}
	for _, secret := range []string{
		"EAABsbCS1iHgBAKZCZBbs2qlkZCabcdefghijklmnop",
		"not-even-a-real-key",
		"xoxb-1234567890",
		"shpat_0123456789abcdef",
		"9f86d081884c7d659a2feaa0c55ad015",
		"EAACEdEose0cBA",
	} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("problems echo the secret %q:\n%v", secret, err)
		}
	}
	if n := strings.Count(err.Error(), "secrets belong in the environment"); n != 6 {
		t.Errorf("got %d secret problems, want 6:\n%v", n, err)
	}
}

func TestLoadValidSingle(t *testing.T) {
	t.Parallel()
	set, err := Load("testdata/valid/single.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got := set.Files; !slices.Equal(got, []string{"testdata/valid/single.yaml"}) {
		t.Errorf("Files = %v", got)
	}
	b := set.Brand("acme")
	if b == nil {
		t.Fatalf("no brand acme in %v", set.Brands)
	}
	if b.Location == nil || b.Location.String() != "Europe/Paris" {
		t.Errorf("Location = %v, want Europe/Paris", b.Location)
	}
	if b.RestatementDays != 7 {
		t.Errorf("RestatementDays = %d, want default 7", b.RestatementDays)
	}
	if b.RefundHorizonDays != 60 {
		t.Errorf("RefundHorizonDays = %d, want default 60", b.RefundHorizonDays)
	}
	if got := b.Accounts.Meta[0].AttributionWindows; !slices.Equal(got, []string{"7d_click", "1d_view"}) {
		t.Errorf("AttributionWindows = %v, want the default", got)
	}
	if b.Accounts.Meta[0].Page != "42" || b.Accounts.TikTok[0].Advertiser != "7000000000000000009" {
		t.Errorf("unquoted ids: page %q advertiser %q", b.Accounts.Meta[0].Page, b.Accounts.TikTok[0].Advertiser)
	}
	if b.Pos != (Pos{File: "testdata/valid/single.yaml", Line: 3, Col: 8}) {
		t.Errorf("brand Pos = %v", b.Pos)
	}

	c := b.Creator("ana")
	if c == nil {
		t.Fatal("no creator ana")
	}
	if c.Instagram != "ana.ig" {
		t.Errorf("Instagram = %q, want the @ stripped", c.Instagram)
	}
	if c.Fee.Flat != 300_000_000 {
		t.Errorf("Flat = %d, want 300000000", c.Fee.Flat)
	}
	if c.Fee.Commission.String() != "0.125" || c.Fee.CommissionOn != CommissionOnAll {
		t.Errorf("Commission = %s on %s, want 0.125 on all", c.Fee.Commission, c.Fee.CommissionOn)
	}
	if want := []Bonus{{Date: ads.MustDate("2026-02-01"), Amount: 99_990_000, Note: "launch"}}; !slices.Equal(c.Fee.Bonuses, want) {
		t.Errorf("Bonuses = %+v, want %+v", c.Fee.Bonuses, want)
	}
	if c.Pos.Line != 13 || c.Pos.Col != 5 {
		t.Errorf("creator Pos = %v", c.Pos)
	}

	tt := b.Test("t1")
	if tt == nil {
		t.Fatal("no test t1")
	}
	if tt.Start != ads.MustDate("2026-01-15") || !slices.Equal(tt.Checkpoints, []int{14, 30}) {
		t.Errorf("Start %v Checkpoints %v, want 2026-01-15 [14 30]", tt.Start, tt.Checkpoints)
	}
	// Checkpoints 14d, 30d: the test lasts 30 days, 01-15 … 02-13.
	if tt.End() != ads.MustDate("2026-02-13") {
		t.Errorf("End = %v", tt.End())
	}
	if tt.Attribution != UTMFirst || tt.Actions != ActionsAlert || tt.BudgetStep.String() != "0.2" {
		t.Errorf("defaults: attribution %q actions %q step %s", tt.Attribution, tt.Actions, tt.BudgetStep)
	}
	if len(tt.Variants) != 3 {
		t.Fatalf("got %d variants, want 3", len(tt.Variants))
	}
	vb := tt.Variant("b")
	if vb == nil || vb.Platform != ads.Meta || vb.Kind != ads.Dark || vb.AdID != "120212345678900101" || vb.UTM.Content != "t1-b" || vb.UTM.Source != "ana" {
		t.Errorf("merged variant b = %+v", vb)
	}
	if vc := tt.Variant("c"); vc == nil || vc.ItemID != "7434567890123456789" || vc.Pos.Line != 33 {
		t.Errorf("variant c = %+v", vc)
	}
}

func TestRateOn(t *testing.T) {
	t.Parallel()
	set, err := Load("testdata/valid/single.yaml")
	if err != nil {
		t.Fatal(err)
	}
	b := set.Brand("acme")
	tests := []struct {
		from, to, day string
		want          string
		ok            bool
	}{
		{"USD", "EUR", "2025-12-31", "", false},
		{"USD", "EUR", "2026-01-01", "0.92", true},
		{"USD", "EUR", "2026-02-28", "0.92", true},
		{"USD", "EUR", "2026-03-01", "0.95", true},
		{"USD", "EUR", "2027-01-01", "0.95", true},
		{"EUR", "EUR", "2026-01-01", "1", true},
		{"EUR", "USD", "2026-03-01", "", false}, // no silent inverse
		{"GBP", "EUR", "2026-03-01", "", false},
	}
	for _, tt := range tests {
		r, ok := b.RateOn(tt.from, tt.to, ads.MustDate(tt.day))
		if ok != tt.ok || (ok && r.String() != tt.want) {
			t.Errorf("RateOn(%s, %s, %s) = %s, %v; want %s, %v", tt.from, tt.to, tt.day, r, ok, tt.want, tt.ok)
		}
	}
}

func TestLoadValidSplitDirectory(t *testing.T) {
	t.Parallel()
	set, err := Load("testdata/valid/split")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"testdata/valid/split/a-brand.yaml", "testdata/valid/split/b-tests.yaml", "testdata/valid/split/c-creators.yml"}
	if !slices.Equal(set.Files, want) {
		t.Errorf("Files = %v, want %v", set.Files, want)
	}
	if len(set.Brands) != 2 || set.Brands[0].Name != "acme" || set.Brands[1].Name != "beta" {
		t.Fatalf("Brands = %v, want acme and beta", set.Brands)
	}
	acme := set.Brand("acme")
	tt := acme.Test("t1")
	if tt == nil || acme.Creator(tt.Creator) == nil {
		t.Fatalf("test t1 or its creator (declared in a later file) missing: %+v", tt)
	}
	if !slices.Equal(tt.Checkpoints, []int{7, 21}) || tt.Attribution != CodeFirst || tt.Actions != ActionsApply {
		t.Errorf("t1 = %+v", tt)
	}
	if tt.BudgetStep.String() != "0.3" || tt.MaxDailyBudget != 250_000_000 || tt.FloorROAS != 1 || tt.TargetROAS != 2.5 {
		t.Errorf("t1 money/ratios: step %s max %d floor %v target %v", tt.BudgetStep, tt.MaxDailyBudget, tt.FloorROAS, tt.TargetROAS)
	}
	if tt.Pos.File != "testdata/valid/split/b-tests.yaml" {
		t.Errorf("t1 Pos = %v", tt.Pos)
	}
	if c := acme.Creator("ana"); c.Fee.CommissionOn != CommissionOnPaid || c.Fee.Commission.String() != "0.2" {
		t.Errorf("ana fee = %+v", c.Fee)
	}
	if len(acme.Accounts.Meta) != 0 || len(acme.Accounts.TikTok) != 1 {
		t.Errorf("acme accounts = %+v", acme.Accounts)
	}
	if beta := set.Brand("beta"); beta.Currency != "CAD" || beta.Test("z1") == nil {
		t.Errorf("beta = %+v", beta)
	}
	if set.Brand("nope") != nil || acme.Test("nope") != nil {
		t.Error("lookups of unknown names returned something")
	}
}

func TestLoadErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{filepath.Join(dir, "missing"), dir} {
		_, err := Load(p)
		var probs *Problems
		if err == nil || errors.As(err, &probs) {
			t.Errorf("Load(%s) = %v; want a plain error", p, err)
		}
	}
	if _, err := LoadFS(fstest.MapFS{}, "nope"); err == nil {
		t.Error("LoadFS of a missing dir succeeded")
	}
}

func TestLoadFS(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{
		"cfg/a.yaml":  {Data: []byte("brand: x\ncurrency: USD\ntimezone: UTC\n")},
		"cfg/b.yml":   {Data: []byte("brand: x\ncreators:\n  - handle: h\n    fee: {flat: '-1'}\n")},
		"cfg/c.json":  {Data: []byte("{}")},
		"cfg/sub/d.y": {Data: []byte("brand: [")},
	}
	_, err := LoadFS(fsys, "cfg")
	if err == nil || err.Error() != "cfg/b.yml:4:17: flat: a fee must not be negative, got -1.00" {
		t.Errorf("LoadFS = %v", err)
	}
	set, err := LoadFS(fsys, "cfg/a.yaml")
	if err != nil || set.Brand("x") == nil {
		t.Errorf("LoadFS(file) = %v, %v", set, err)
	}
}

// TestExamples checks the embedded examples are valid and cover the schema.
func TestExamples(t *testing.T) {
	t.Parallel()
	set, err := LoadExamples()
	if err != nil {
		t.Fatalf("examples: %v", err)
	}
	disk, err := Load("examples")
	if err != nil {
		t.Fatalf("examples on disk: %v", err)
	}
	if len(disk.Files) != len(set.Files) || len(set.Files) < 2 {
		t.Errorf("embedded files %v, on disk %v", set.Files, disk.Files)
	}
	if root, err := LoadFS(Examples, "."); err != nil || root.Files[0] != "brand.yaml" {
		t.Errorf("LoadFS(Examples, \".\") = %v, %v", root, err)
	}
	b := set.Brand("glowco")
	if b == nil {
		t.Fatal("no brand glowco")
	}
	if b.Currency != "USD" || b.Location.String() != "America/New_York" || b.Accounts.Meta[0].AdAccount != "act_1234567890" ||
		len(b.Accounts.TikTok) != 1 || b.Accounts.Shopify[0].Shop != "glowco.myshopify.com" || b.Slack.Channel != "#creator-perf" {
		t.Errorf("glowco settings = %+v", b)
	}
	if len(b.Creators) < 3 || len(b.Tests) < 4 || set.Variants() < 10 {
		t.Errorf("got %d creators, %d tests, %d variants; want >=3, >=4, >=10", len(b.Creators), len(b.Tests), set.Variants())
	}
	bonus := false
	for _, c := range b.Creators {
		if len(c.Codes) == 0 || len(c.Links) == 0 {
			t.Errorf("creator %s lacks codes or links", c.Handle)
		}
		bonus = bonus || len(c.Fee.Bonuses) > 0
	}
	if !bonus {
		t.Error("no creator has a bonus")
	}
	platforms := map[ads.Platform]bool{}
	kinds := map[ads.Kind]bool{}
	combos := map[string]bool{}
	for _, tt := range b.Tests {
		if tt.Start.Before(ads.MustDate("2026-10-01")) || tt.Start.After(ads.MustDate("2026-10-31")) {
			t.Errorf("test %s starts %v, want in 2026-10", tt.ID, tt.Start)
		}
		for _, v := range tt.Variants {
			platforms[v.Platform] = true
			kinds[v.Kind] = true
			combos[string(v.Platform)+"/"+string(v.Kind)] = true
		}
	}
	if len(platforms) != 2 || len(kinds) != 3 {
		t.Errorf("platforms %v kinds %v; want both platforms and all three kinds", platforms, kinds)
	}
	for _, c := range []string{"meta/whitelisted", "meta/dark", "tiktok/spark"} {
		if !combos[c] {
			t.Errorf("no %s variant in the examples", c)
		}
	}
	if r, ok := b.RateOn("EUR", "USD", ads.MustDate("2026-11-23")); !ok || r.String() != "1.0650" {
		t.Errorf("EUR->USD on 2026-11-23 = %s, %v", r, ok)
	}
	if _, ok := b.RateOn("CAD", "USD", ads.MustDate("2026-11-23")); !ok {
		t.Error("no CAD->USD rate")
	}
}

// TestSeveralAccounts loads a brand listing several Meta ad accounts,
// TikTok advertisers and shops next to one using the single-account form.
func TestSeveralAccounts(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{
		"many.yaml": {Data: []byte(`brand: many
currency: USD
timezone: America/New_York
accounts:
  meta:
    - {ad_account: act_1, page: "11", attribution_windows: [1d_click]}
    - {ad_account: act_2, page: "12"}
  tiktok:
    - advertiser: "7001"
    - advertiser: "7002"
  shopify:
    - shop: many-us.myshopify.com
    - shop: many-eu.myshopify.com
slack: {channel: "#many"}
`)},
		"one.yaml": {Data: []byte(`brand: one
currency: EUR
timezone: Europe/Berlin
accounts:
  meta: {ad_account: act_3}
  shopify: {shop: one.myshopify.com}
slack: {channel: "#one"}
`)},
	}
	set, err := LoadFS(fsys, ".")
	if err != nil {
		t.Fatal(err)
	}
	many, one := set.Brands[0], set.Brands[1]
	if got := many.AdAccounts(ads.Meta); !slices.Equal(got, []string{"act_1", "act_2"}) {
		t.Errorf("meta accounts = %v", got)
	}
	if got := many.AdAccounts(ads.TikTok); !slices.Equal(got, []string{"7001", "7002"}) {
		t.Errorf("tiktok advertisers = %v", got)
	}
	if got := many.Shops(); !slices.Equal(got, []string{"many-us.myshopify.com", "many-eu.myshopify.com"}) {
		t.Errorf("shops = %v", got)
	}
	if w := many.Accounts.Meta[0].AttributionWindows; !slices.Equal(w, []string{"1d_click"}) {
		t.Errorf("act_1 windows = %v", w)
	}
	if w := many.Accounts.Meta[1].AttributionWindows; !slices.Equal(w, DefaultMetaAttributionWindows) {
		t.Errorf("act_2 windows = %v, want the default", w)
	}
	if !many.HasShop("MANY-EU.myshopify.com") || many.HasShop("one.myshopify.com") || !one.HasShop("one.myshopify.com") {
		t.Error("HasShop does not tell the brands' shops apart")
	}
	if got := one.AdAccounts(ads.Meta); !slices.Equal(got, []string{"act_3"}) || one.AdAccounts(ads.TikTok) != nil {
		t.Errorf("one's accounts = %v / %v", got, one.AdAccounts(ads.TikTok))
	}
}

// TestExamplesSecondBrand: the examples hold a second brand, hautwerk, in
// another currency and time zone on its own Slack channel, sharing the
// creator jacqueline (same handles) with glowco but with codes and links
// of its own, so no order can be claimed by both.
func TestExamplesSecondBrand(t *testing.T) {
	t.Parallel()
	set, err := LoadExamples()
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Brands) != 2 || set.Brands[0].Name != "glowco" || set.Brands[1].Name != "hautwerk" {
		t.Fatalf("brands = %v, want glowco then hautwerk", set.Brands)
	}
	glow, haut := set.Brands[0], set.Brands[1]
	if haut.Currency != "EUR" || haut.Location.String() != "Europe/Berlin" || haut.Slack.Channel == glow.Slack.Channel ||
		haut.Slack.Approvers == glow.Slack.Approvers {
		t.Errorf("hautwerk: %s, %s, channel %s, approvers %s; want EUR, Europe/Berlin and a channel and group of its own",
			haut.Currency, haut.Location, haut.Slack.Channel, haut.Slack.Approvers)
	}
	shared := 0
	for _, hc := range haut.Creators {
		gc := glow.Creator(hc.Handle)
		if gc == nil {
			continue
		}
		shared++
		if gc.Instagram != hc.Instagram || gc.TikTok != hc.TikTok {
			t.Errorf("shared creator %s: handles %s/%s at hautwerk, %s/%s at glowco", hc.Handle, hc.Instagram, hc.TikTok, gc.Instagram, gc.TikTok)
		}
		for _, c := range hc.Codes {
			if slices.Contains(gc.Codes, c) {
				t.Errorf("shared creator %s: code %s in both brands", hc.Handle, c)
			}
		}
		for _, l := range hc.Links {
			if slices.Contains(gc.Links, l) {
				t.Errorf("shared creator %s: link %s in both brands", hc.Handle, l)
			}
		}
	}
	if shared != 1 {
		t.Errorf("%d creators shared between the brands, want 1", shared)
	}
	if len(haut.Tests) < 2 {
		t.Errorf("hautwerk has %d tests, want at least 2", len(haut.Tests))
	}
}
