package reconcile

import (
	"strings"
	"testing"
	"time"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/configs"
)

// TestLinkOwner: a conversion belongs to the brand its row names, or whose
// shop it names, or the importer's default, or the one brand of its
// creator; a creator two brands share, or no brand's, is refused.
func TestLinkOwner(t *testing.T) {
	t.Parallel()
	set := &configs.Set{Brands: []*configs.Brand{
		{Name: "glowco", Accounts: configs.Accounts{Shopify: []*configs.ShopifyAccount{{Shop: "glowco.myshopify.com"}, {Shop: "glowco-eu.myshopify.com"}}},
			Creators: []*configs.Creator{{Handle: "jacqueline"}, {Handle: "marcus"}}},
		{Name: "lunaskin", Accounts: configs.Accounts{Shopify: []*configs.ShopifyAccount{{Shop: "lunaskin.myshopify.com"}}},
			Creators: []*configs.Creator{{Handle: "jacqueline"}, {Handle: "yuki"}}},
	}}
	at := time.Date(2026, 6, 3, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name, def string
		c         ads.LinkConversion
		want, err string
	}{
		{name: "sole creator", c: ads.LinkConversion{Creator: "marcus"}, want: "glowco"},
		{name: "sole creator of the other brand", c: ads.LinkConversion{Creator: "@yuki"}, want: "lunaskin"},
		{name: "shared creator refused", c: ads.LinkConversion{Creator: "jacqueline"}, err: "jacqueline works for glowco and lunaskin"},
		{name: "shared creator, row names the brand", c: ads.LinkConversion{Creator: "jacqueline", Brand: "lunaskin"}, want: "lunaskin"},
		{name: "shared creator, row names the shop", c: ads.LinkConversion{Creator: "jacqueline", Shop: "glowco.myshopify.com"}, want: "glowco"},
		{name: "shared creator, row names the brand's second shop", c: ads.LinkConversion{Creator: "jacqueline", Shop: "GLOWCO-EU.myshopify.com"}, want: "glowco"},
		{name: "shared creator, --brand", def: "lunaskin", c: ads.LinkConversion{Creator: "jacqueline"}, want: "lunaskin"},
		{name: "unknown brand", c: ads.LinkConversion{Creator: "marcus", Brand: "acme"}, err: `brand "acme" is not configured`},
		{name: "unknown shop", c: ads.LinkConversion{Creator: "marcus", Shop: "acme.myshopify.com"}, err: "no configured brand's shop"},
		{name: "no brand's creator", c: ads.LinkConversion{Creator: "nobody"}, err: "nobody is no configured brand's creator"},
		// A row whose brand is known but not its creator is refused, not
		// stored to be skipped at reconcile.
		{name: "row's brand lacks the creator", c: ads.LinkConversion{Creator: "yuki", Brand: "glowco"},
			err: `creator "yuki" is not a creator of brand glowco (its creators: jacqueline, marcus)`},
		{name: "shop's brand lacks the creator", c: ads.LinkConversion{Creator: "nobody", Shop: "lunaskin.myshopify.com"},
			err: `creator "nobody" is not a creator of brand lunaskin`},
		{name: "--brand lacks the creator", def: "glowco", c: ads.LinkConversion{Creator: "yuki"}, err: `not a creator of brand glowco`},
		{name: "--brand lacks the link", def: "glowco", c: ads.LinkConversion{Link: "https://elsewhere.example/?ref=x"},
			err: `is none of brand glowco's creators' tracking links`},
	} {
		c := tc.c
		c.Source, c.ID, c.Amount, c.Currency, c.At = "impact", "c1", 1, "USD", at
		err := LinkOwner(set, tc.def)(&c)
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%s: err %v, want %q", tc.name, err, tc.err)
		case tc.err == "" && (err != nil || c.Brand != tc.want):
			t.Errorf("%s: brand %q (err %v), want %q", tc.name, c.Brand, err, tc.want)
		}
	}
	if got := SoleCreatorBrands(set); len(got) != 2 || got["marcus"] != "glowco" || got["yuki"] != "lunaskin" {
		t.Errorf("SoleCreatorBrands = %v, want marcus→glowco, yuki→lunaskin (jacqueline is shared)", got)
	}
}
