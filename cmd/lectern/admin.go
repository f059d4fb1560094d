package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/app"
	"github.com/lectern-edu/lectern/internal/identity"
)

func admin(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: choose create-user or create-token", errUsage)
	}
	switch args[0] {
	case "create-user":
		return createUser(ctx, args[1:], stdout, stderr)
	case "create-token":
		return createToken(ctx, args[1:], stdout, stderr)
	case "lti":
		return ltiAdmin(ctx, args[1:], stdout, stderr)
	default:
		return fmt.Errorf("%w: unknown admin command %q (choose create-user or create-token)", errUsage, args[0])
	}
}

func createUser(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flags("admin create-user", stderr)
	email := fs.String("email", "", "the new user's email address (required)")
	name := fs.String("name", "", "display name")
	passwordFile := fs.String("password-file", "", "file holding the password; - reads standard input (required)")
	isAdmin := fs.Bool("admin", false, "make the user a site admin")
	cfg, err := loadConfig(fs, args)
	if err != nil {
		return err
	}
	if *email == "" || *passwordFile == "" {
		return fmt.Errorf("%w: --email and --password-file are required", errUsage)
	}
	pw, err := readPassword(*passwordFile)
	if err != nil {
		return err
	}
	c, err := app.Open(ctx, cfg.Config, app.NewLogger(cfg.Config, stderr), false)
	if err != nil {
		return err
	}
	defer c.Close()
	u, err := c.Identity.CreateUser(ctx, identity.NewUser{Email: *email, Name: *name, Password: pw, IsAdmin: *isAdmin, Kind: lectern.UserLocal})
	if err != nil {
		return err
	}
	role := "user"
	if u.IsAdmin {
		role = "admin"
	}
	fmt.Fprintf(stdout, "created %s %s (id %s)\n", role, u.Email, u.ID)
	return nil
}

func createToken(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flags("admin create-token", stderr)
	email := fs.String("email", "", "whose token (required)")
	name := fs.String("name", "cli", "a label for the token")
	cfg, err := loadConfig(fs, args)
	if err != nil {
		return err
	}
	if *email == "" {
		return fmt.Errorf("%w: --email is required", errUsage)
	}
	c, err := app.Open(ctx, cfg.Config, app.NewLogger(cfg.Config, stderr), false)
	if err != nil {
		return err
	}
	defer c.Close()
	u, err := c.Identity.UserByEmail(ctx, *email)
	if err != nil {
		if lectern.ErrorCodeOf(err) == lectern.ENotFound {
			return fmt.Errorf("no user has the email %s", *email)
		}
		return err
	}
	secret, _, err := c.Identity.CreateAPIToken(ctx, u.ID, *name)
	if err != nil {
		return err
	}
	// Only the token goes to stdout, so scripts can capture it.
	fmt.Fprintln(stdout, secret)
	return nil
}

func readPassword(path string) (string, error) {
	var b []byte
	var err error
	if path == "-" {
		b, err = io.ReadAll(io.LimitReader(os.Stdin, 4096))
	} else {
		b, err = os.ReadFile(path)
	}
	if err != nil {
		return "", fmt.Errorf("read password: %w", err)
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}
