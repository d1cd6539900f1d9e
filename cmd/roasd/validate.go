package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/roasd/roasd/configs"
)

func init() {
	register(&command{
		name:    "validate",
		usage:   "DIR|FILE",
		summary: "check brand, creator and variant-test YAML; print every problem as file:line:col",
		help: `Loads one YAML file, or every *.yaml/*.yml file in a directory (files naming
the same brand are merged), and checks it: unknown keys, wrong types, bad
dates and durations, duplicate test ids and variant keys, unknown creators,
fees and commission out of range, floor above target, utm_content shared by
two variants (ignoring case, reported at the later test, naming the first),
Meta attribution windows Meta no longer returns (7d_view and 28d_view since
2026-01-12), secrets written into YAML, and more. A mistyped key gets a
"did you mean" suggestion, a bad date names its bad part (month 13), and
YAML indentation errors say which line to indent how.

Exit status 0 when valid (a one-line summary is printed), 1 with one line per
problem on stdout, as file:line:col: message.`,
		run: runValidate,
	})
}

func runValidate(ctx context.Context, env *cmdEnv, args []string) error {
	fs := newFlags(env, "validate")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(env.stderr, "Usage: roasd validate DIR|FILE")
		return errUsage
	}
	path := fs.Arg(0)
	set, err := configs.Load(path)
	var probs *configs.Problems
	switch {
	case errors.As(err, &probs):
		for _, p := range probs.List {
			fmt.Fprintln(env.stdout, p)
		}
		fmt.Fprintf(env.stderr, "%s: %s\n", path, plural(len(probs.List), "problem"))
		return exitError{code: 1}
	case err != nil:
		return err
	}
	fmt.Fprintf(env.stdout, "%s: %s, %s, %s, %s — ok\n", path,
		plural(len(set.Brands), "brand"), plural(set.Creators(), "creator"),
		plural(set.Tests(), "test"), plural(set.Variants(), "variant"))
	return nil
}

// plural renders "1 brand" or "3 brands".
func plural(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
