package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"

	"labmap/api/auth"
	"labmap/data"
	"labmap/data/postgis"
)

const tokenSummary = `Manage the bearer tokens of the analyst, staff and admin roles.

  labmap token create --role staff --name "Tim Kertijayan" --zones urban-kertijayan --expires 90d
  labmap token list
  labmap token revoke NAME|ID

create prints the token once, on standard output; only its SHA-256 is kept, so a lost
token cannot be shown again (revoke it and create another). Tokens live in PostGIS
(--database-url); --tokens-file keeps them in a JSON file for the demo server instead.`

// tokenFlags are the flags every token subcommand takes: where the tokens live.
type tokenFlags struct {
	dbURL, file *string
}

func addTokenFlags(fs *flag.FlagSet) tokenFlags {
	return tokenFlags{
		dbURL: fs.String("database-url", "", "PostgreSQL/PostGIS connection URL: the tokens table"),
		file:  fs.String("tokens-file", "", "DEMO ONLY: a JSON file of token hashes, for labmap serve without a database"),
	}
}

// open returns the token store the flags name, and a function closing it.
func (f tokenFlags) open(ctx context.Context, name string, stderr io.Writer) (auth.Store, func(), error) {
	switch {
	case *f.dbURL != "" && *f.file != "":
		fmt.Fprintf(stderr, "labmap token %s: give --database-url or --tokens-file, not both\n", name)
		return nil, nil, errUsage
	case *f.dbURL != "":
		s, err := postgis.OpenTokens(ctx, *f.dbURL, nil)
		if err != nil {
			return nil, nil, err
		}
		return s, s.Close, nil
	case *f.file != "":
		fmt.Fprintf(stderr, "labmap token %s: %s is a demo tokens file; real tokens belong in PostGIS (--database-url)\n", name, *f.file)
		s, err := auth.OpenFileStore(*f.file, nil)
		if err != nil {
			return nil, nil, err
		}
		return s, func() {}, nil
	}
	fmt.Fprintf(stderr, "labmap token %s: --database-url (or, for the demo, --tokens-file) is required\n", name)
	return nil, nil, errUsage
}

func runToken(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
			fmt.Fprintf(stdout, "Usage: labmap token create|list|revoke [flags]\n\n%s\n", tokenSummary)
			return flag.ErrHelp
		}
		fmt.Fprintf(stderr, "Usage: labmap token create|list|revoke [flags]\n\n%s\n", tokenSummary)
		return errUsage
	}
	switch args[0] {
	case "create":
		return runTokenCreate(ctx, args[1:], stdout, stderr)
	case "list":
		return runTokenList(ctx, args[1:], stdout, stderr)
	case "revoke":
		return runTokenRevoke(ctx, args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "labmap token: unknown subcommand %q (create, list or revoke)\n", args[0])
	return errUsage
}

func runTokenCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("token create", "Create a token and print it once.", stderr)
	where := addTokenFlags(fs)
	role := fs.String("role", "", "analyst, staff or admin (required)")
	name := fs.String("name", "", "who holds the token, e.g. a field team (required; shown in logs and the audit)")
	zones := fs.String("zones", "", "staff: comma-separated zone codes whose households the token opens")
	villages := fs.String("villages", "", "staff: comma-separated village codes whose households the token opens")
	expires := fs.String("expires", "90d", "lifetime (90d, 4w, 12h) or last day (2025-12-31)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	r, err := auth.ParseRole(*role)
	if err != nil {
		fmt.Fprintf(stderr, "labmap token create: --role: %v\n", err)
		return errUsage
	}
	exp, err := auth.ParseExpiry(*expires, time.Now())
	if err != nil {
		fmt.Fprintf(stderr, "labmap token create: %v\n", err)
		return errUsage
	}
	req := auth.CreateRequest{Name: strings.TrimSpace(*name), Role: r, Zones: splitList(*zones), Villages: splitList(*villages), Expires: exp}
	if err := req.Validate(time.Now()); err != nil {
		fmt.Fprintf(stderr, "labmap token create: %v\n", err)
		return errUsage
	}
	store, closeStore, err := where.open(ctx, "create", stderr)
	if err != nil {
		return err
	}
	defer closeStore()
	tok, p, err := store.Create(ctx, req)
	if err != nil {
		return err
	}
	// The token alone on standard output, so `tok=$(labmap token create …)` works;
	// what it is goes to standard error.
	fmt.Fprintln(stdout, tok)
	fmt.Fprintf(stderr, "created %s token %d %q%s, expires %s.\nThis is the only time the token is shown: hand it over now, over a private channel.\n",
		p.Role, p.TokenID, p.Name, grantText(p), p.Expires.Local().Format(time.DateTime))
	return nil
}

func runTokenList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("token list", "List the tokens (never the tokens themselves: only their names and grants).", stderr)
	where := addTokenFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	store, closeStore, err := where.open(ctx, "list", stderr)
	if err != nil {
		return err
	}
	defer closeStore()
	list, err := store.List(ctx)
	if err != nil {
		return err
	}
	now := time.Now()
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tROLE\tGRANT\tSTATUS\tEXPIRES\tLAST USED")
	for _, t := range list {
		status := "active"
		switch {
		case !t.RevokedAt.IsZero():
			status = "revoked " + t.RevokedAt.Local().Format(time.DateOnly)
		case !now.Before(t.Expires):
			status = "expired"
		}
		last := "never"
		if !t.LastUsed.IsZero() {
			last = t.LastUsed.Local().Format(time.DateTime)
		}
		grant := strings.TrimPrefix(grantText(t.Principal), " for ")
		if grant == "" {
			grant = "-"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", t.TokenID, t.Name, t.Role, grant, status, t.Expires.Local().Format(time.DateOnly), last)
	}
	return tw.Flush()
}

func runTokenRevoke(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("token revoke", "Revoke a token by its id or name: labmap token revoke [flags] NAME|ID", stderr)
	where := addTokenFlags(fs)
	// The name may come first or after the flags.
	var target string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		target, args = args[0], args[1:]
	} else if err := fs.Parse(args); err == nil && fs.NArg() == 1 {
		target, args = fs.Arg(0), args[:len(args)-1]
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if strings.TrimSpace(target) == "" {
		fmt.Fprintln(stderr, "labmap token revoke: name the token: labmap token revoke NAME|ID (see labmap token list)")
		return errUsage
	}
	store, closeStore, err := where.open(ctx, "revoke", stderr)
	if err != nil {
		return err
	}
	defer closeStore()
	if err := store.Revoke(ctx, target); err != nil {
		if errors.Is(err, auth.ErrNoTokens) {
			return err
		}
		return fmt.Errorf("revoke %q: %w", target, err)
	}
	fmt.Fprintf(stdout, "revoked %s\n", target)
	return nil
}

// splitList reads a comma-separated flag value, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// grantText says which households a principal opens: " for zones a, b and
// villages c", or nothing for a role without a grant.
func grantText(p auth.Principal) string {
	var parts []string
	if len(p.Zones) > 0 {
		parts = append(parts, "zones "+strings.Join(p.Zones, ", "))
	}
	if len(p.Villages) > 0 {
		parts = append(parts, "villages "+strings.Join(p.Villages, ", "))
	}
	if len(parts) == 0 {
		return ""
	}
	return " for " + strings.Join(parts, " and ")
}

// serveTokens is the token store of `labmap serve`: the tokens table of a
// PostGIS store; for the memory store, the demo file when one is given,
// and otherwise none (every token refused, with a message saying why).
func serveTokens(store data.Store, file string, log *slog.Logger) (auth.Store, error) {
	if ps, ok := store.(*postgis.Store); ok {
		if file != "" {
			return nil, errors.New("--tokens-file is for the in-memory demo; with --database-url the tokens are in PostGIS (labmap token create --database-url …)")
		}
		return ps.Tokens(nil), nil
	}
	if file == "" {
		log.Info("no token store: public access only; staff and analyst tokens are refused (start with --database-url, or --tokens-file for a demo)")
		return auth.NoTokens{}, nil
	}
	fileStore, err := auth.OpenFileStore(file, nil)
	if err != nil {
		return nil, err
	}
	log.Warn("DEMO token file: tokens are read from a file, not PostGIS; use this for demonstrations only", "tokens_file", file, "tokens", fileStore.Len())
	return fileStore, nil
}
