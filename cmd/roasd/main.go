// Command roasd orchestrates paid-social whitelisting and dark-post variant
// tests for creator marketing: it syncs permissions and ads from Meta and
// TikTok, ingests Shopify orders and link conversions, reconciles them into
// one ledger, decides scale/cut/refresh/hold and tells Slack.
//
// Run "roasd help" for the subcommands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"

	"github.com/roasd/roasd/configs"
)

// command is one subcommand. Each lives in its own file and registers itself
// in init, so the table below is the list of files.
type command struct {
	name    string
	usage   string // argument synopsis, e.g. "DIR|FILE"
	summary string // one line for the command list
	help    string // longer text for "roasd CMD --help"
	run     func(ctx context.Context, env *cmdEnv, args []string) error
}

// cmdEnv is what a subcommand may use of the process.
type cmdEnv struct {
	stdout, stderr io.Writer
	getenv         func(string) string
}

var commands = map[string]*command{}

func register(c *command) { commands[c.name] = c }

// errUsage marks errors already explained to the user (exit code 2).
var errUsage = errors.New("usage")

// exitError carries a specific exit code with an already-printed message.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	env := &cmdEnv{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}
	os.Exit(Main(ctx, env, os.Args[1:]))
}

// Main runs roasd with args and returns the process exit code.
func Main(ctx context.Context, env *cmdEnv, args []string) int {
	err := dispatch(ctx, env, args)
	var ee exitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.code
	case errors.Is(err, errUsage), errors.Is(err, flag.ErrHelp):
		return 2
	default:
		fmt.Fprintf(env.stderr, "roasd: %v\n", err)
		return 1
	}
}

func dispatch(ctx context.Context, env *cmdEnv, args []string) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		if len(args) > 1 {
			if c, ok := commands[args[1]]; ok {
				printHelp(env.stdout, c)
				return nil
			}
		}
		usage(env.stdout)
		if len(args) == 0 {
			return errUsage
		}
		return nil
	}
	c, ok := commands[args[0]]
	if !ok {
		names := make([]string, 0, len(commands))
		for n := range commands {
			names = append(names, n)
		}
		sort.Strings(names)
		if near := configs.Nearest(args[0], names); near != "" {
			fmt.Fprintf(env.stderr, "roasd: unknown command %q: did you mean %q?\n\n", args[0], near)
		} else {
			fmt.Fprintf(env.stderr, "roasd: unknown command %q\n\n", args[0])
		}
		usage(env.stderr)
		return errUsage
	}
	for _, a := range args[1:] {
		if a == "-h" || a == "--help" || a == "-help" {
			printHelp(env.stdout, c)
			return nil
		}
	}
	return c.run(ctx, env, args[1:])
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "roasd — creator whitelisting and dark-post variant tests, reconciled to ROAS.")
	fmt.Fprintln(w, "\nUsage: roasd COMMAND [flags] [args]\n\nCommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun \"roasd COMMAND --help\" for details.")
}

func printHelp(w io.Writer, c *command) {
	fmt.Fprintf(w, "Usage: roasd %s %s\n\n%s\n", c.name, c.usage, c.summary)
	if c.help != "" {
		fmt.Fprintf(w, "\n%s\n", strings.TrimSpace(c.help))
	}
}

// newFlags returns a FlagSet for a subcommand that reports errors to stderr.
func newFlags(env *cmdEnv, c string) *flag.FlagSet {
	fs := flag.NewFlagSet("roasd "+c, flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	return fs
}
