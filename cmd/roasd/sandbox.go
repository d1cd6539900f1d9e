package main

import (
	"context"
	"fmt"
	"time"

	"github.com/roasd/roasd/configs"
	"github.com/roasd/roasd/sandbox"
)

func init() {
	register(&command{
		name:    "sandbox",
		usage:   "[--config DIR] [--seed N]",
		summary: "serve the Meta, TikTok, Shopify and Slack fakes seeded with a 30-day campaign",
		help: `Serves the four fakes on loopback, seeded with a simulated 30-day campaign
matching the configuration (the embedded examples by default: two brands,
glowco in USD and hautwerk in EUR, sharing the creator jacqueline), one
campaign per brand on its own ad accounts, shop and channel: spend,
platform-reported and store-confirmed conversions, code and link orders,
refunds and cancellations, one Spark authorization about to expire and one
ad without UTM tags. Prints the base URLs, the sandbox tokens and the
campaign's clock (ROASD_NOW) as NAME=value lines (e.g.
META_API_URL=http://127.0.0.1:40123; SHOPIFY_API_URL serves every shop
at .../shops/{shop}), then serves until interrupted. Point
roasd, or any other client, at them; with ROASD_NOW, "roasd run --once"
reproduces the demo's cycle.`,
		run: runSandbox,
	})
}

func runSandbox(ctx context.Context, env *cmdEnv, args []string) error {
	fs := newFlags(env, "sandbox")
	config := fs.String("config", "", "config file or directory the campaign follows (default: embedded examples)")
	seed := fs.Uint64("seed", 1, "random seed of the simulation")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	set, err := loadSetOrExamples(*config)
	if err != nil {
		return err
	}
	camps, err := sandbox.NewCampaigns(set, *seed)
	if err != nil {
		return err
	}
	c := camps[0]
	sb, err := sandbox.StartAll(camps, sandbox.Options{})
	if err != nil {
		return err
	}
	defer sb.Close()
	for _, line := range sb.Env() {
		fmt.Fprintln(env.stdout, line)
	}
	// The campaign's clock: `roasd run` with it judges the same
	// checkpoints on the same data as `roasd demo`.
	fmt.Fprintf(env.stdout, "ROASD_NOW=%s\n", c.Now.Format(time.RFC3339))
	for _, c := range camps {
		fmt.Fprintf(env.stderr, "sandbox: brand %s (%s, %s): shop %s, channel %s, %d ads, %d orders, campaign %s..%s\n",
			c.Brand.Name, c.Brand.Currency, c.Brand.Timezone, shopOfBrand(c.Brand), c.Brand.Slack.Channel,
			len(c.Ads), len(c.Orders), c.Today.AddDays(-sandbox.Days+1), c.Today)
	}
	fmt.Fprintln(env.stderr, "sandbox: Ctrl-C stops")
	<-ctx.Done()
	return nil
}

// loadSetOrExamples loads path, or the embedded examples when path is "".
func loadSetOrExamples(path string) (*configs.Set, error) {
	if path == "" {
		return configs.LoadExamples()
	}
	return loadConfig(path)
}

// shopOfBrand is the brand's Shopify shop (the sandbox serves a brand's
// first), or "-".
func shopOfBrand(b *configs.Brand) string {
	if shops := b.Shops(); len(shops) > 0 {
		return shops[0]
	}
	return "-"
}
