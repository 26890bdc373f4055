package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"labmap/api/auth"
	"labmap/data"
	"labmap/data/postgis"
)

// runAudit prints the audit of household reads from PostGIS. The memory
// store's demo audit is its log (labmap serve --tokens-file), not this.
func runAudit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("audit", "Print the audit of household reads (who, when, endpoint, query, rows, client): labmap audit --since 7d [--token NAME]", stderr)
	dbURL := fs.String("database-url", "", "PostgreSQL/PostGIS connection URL (required): the audit table")
	since := fs.String("since", "7d", "how far back: days (7d), weeks (2w), hours (12h) or a date (2025-03-01, from its start, UTC)")
	token := fs.String("token", "", "only the reads of the token with this name")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *dbURL == "" {
		fmt.Fprintln(stderr, "labmap audit: --database-url is required (the demo server's audit is its log)")
		return errUsage
	}
	from, err := parseSince(*since, time.Now())
	if err != nil {
		fmt.Fprintf(stderr, "labmap audit: %v\n", err)
		return errUsage
	}
	recs, err := postgis.ReadAudit(ctx, *dbURL, data.AuditQuery{Since: from, TokenName: strings.TrimSpace(*token)})
	if err != nil {
		return err
	}
	writeAudit(stdout, recs)
	fmt.Fprintf(stderr, "%d household reads since %s\n", len(recs), from.Local().Format(time.DateTime))
	return nil
}

// parseSince reads --since: a date is its first moment (UTC), a duration
// counts back from now.
func parseSince(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	ahead, err := auth.ParseExpiry(s, now)
	if err != nil {
		return time.Time{}, fmt.Errorf("--since %q: give days (7d), weeks (2w), hours (12h) or a date (2025-03-01)", s)
	}
	return now.Add(-ahead.Sub(now)), nil
}

func writeAudit(w io.Writer, recs []data.AuditRecord) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tAT\tTOKEN\tENDPOINT\tQUERY\tROWS\tCLIENT\tOK\tERROR")
	for _, r := range recs {
		tok := r.TokenName
		if r.TokenID != 0 {
			tok += " (" + strconv.FormatInt(r.TokenID, 10) + ")"
		}
		ok := "yes"
		if !r.OK {
			ok = "NO"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", r.ID, r.At.Local().Format(time.DateTime), tok,
			r.Endpoint, r.Query, r.Rows, r.ClientAddr, ok, r.Error)
	}
	tw.Flush()
}
