// Command lectern is the whole Lectern platform in one binary:
//
//	lectern serve     web server (and, by default, the background workers)
//	lectern worker    background workers only, against a shared database
//	lectern migrate   apply database migrations and exit
//	lectern admin     account administration (create-user, create-token)
//
// Every subcommand accepts the configuration flags; run `lectern serve -h`.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/app"
	"github.com/lectern-edu/lectern/internal/config"
)

const usage = `Lectern: lecture capture and video platform.

Usage:
  lectern serve   [flags]          run the web site (and background workers)
  lectern worker  [flags]          run background workers only
  lectern migrate [flags]          apply database migrations
  lectern admin create-user --email E --password-file F [--name N] [--admin] [flags]
  lectern admin create-token --email E [--name N] [flags]
  lectern version

Configuration: --config FILE (TOML), LECTERN_* environment variables and
flags, in rising precedence. Run "lectern serve -h" to list them.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd, rest := args[0], args[1:]
	var err error
	switch cmd {
	case "serve":
		err = serve(ctx, rest, stdout, stderr)
	case "worker":
		err = worker(ctx, rest, stderr)
	case "migrate":
		err = migrate(ctx, rest, stdout, stderr)
	case "admin":
		err = admin(ctx, rest, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "lectern", lectern.Version)
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "lectern: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "lectern %s: %v\n", cmd, err)
		return 2
	default:
		fmt.Fprintf(stderr, "lectern %s: %s\n", cmd, describe(err))
		return 1
	}
}

var errUsage = errors.New("usage")

// describe prefers the user-safe message of a Lectern error and falls back
// to the full chain, which for a command-line tool is the operator's.
func describe(err error) string {
	var le *lectern.Error
	if errors.As(err, &le) && le.Code != lectern.EInternal {
		return le.Message
	}
	return err.Error()
}

func flags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("lectern "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

func loadConfig(fs *flag.FlagSet, args []string) (config.Loaded, error) {
	return config.Load(fs, args, os.LookupEnv)
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flags("serve", stderr)
	demo := fs.Bool("demo", false, "on an empty site, create demo accounts, a course and a sample lecture (passwords are printed once)")
	cfg, err := loadConfig(fs, args)
	if err != nil {
		return err
	}
	log := app.NewLogger(cfg.Config, stderr)
	return app.Serve(ctx, cfg.Config, log, app.ServeOptions{Demo: *demo, Out: stdout})
}

func worker(ctx context.Context, args []string, stderr io.Writer) error {
	cfg, err := loadConfig(flags("worker", stderr), args)
	if err != nil {
		return err
	}
	return app.Work(ctx, cfg.Config, app.NewLogger(cfg.Config, stderr))
}

func migrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := loadConfig(flags("migrate", stderr), args)
	if err != nil {
		return err
	}
	c, err := app.Open(ctx, cfg.Config, app.NewLogger(cfg.Config, stderr), false)
	if err != nil {
		return err
	}
	defer c.Close()
	status, err := c.DB.MigrationStatus(ctx)
	if err != nil {
		return err
	}
	for _, s := range status {
		fmt.Fprintf(stdout, "%-8s %05d %s\n", s.State, s.Source.Version, s.Source.Path)
	}
	fmt.Fprintf(stdout, "database %s is up to date\n", c.DB.Where)
	return nil
}
