// Command labmap serves poverty-lab maps and statistics for Kabupaten
// Pekalongan. Run `labmap help` for the subcommands.
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
)

// command is one subcommand of the labmap binary.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"serve", "serve statistics and vector tiles over HTTP from PostGIS, files, or the built-in demo dataset", runServe},
		{"migrate", "create or upgrade the PostGIS schema", runMigrate},
		{"import", "import households and areas into PostGIS in one transaction", runImport},
		{"remove", "remove a region (province, regency or district) from PostGIS in one transaction: --region 33.25", runRemove},
		{"check", "check input files as an import would and print the villages' cleaning report; no database", runCheck},
		{"tiles", "tiles seed: pre-warm a running server's tile cache; tiles export: MBTiles/PMTiles of a zone", runTiles},
		{"token", "manage bearer tokens (analyst, staff, admin): token create|list|revoke", runToken},
		{"audit", "print the audit of household reads from PostGIS: --since 7d [--token NAME]", runAudit},
		{"export", "export a collection as a styled GeoPackage for QGIS: --format gpkg --out FILE", runExport},
		{"qgis-project", "write a QGIS project (.qgs/.qgz) whose styled layers read from a running server", runQGISProject},
		{"report", "write a zone's or the regency's printable report: --zone ID|regency --out FILE.pdf (or .png: the map)", runReport},
		{"pack", "write the offline meeting pack (map, figures, report, villages CSV): --zone ID|regency --out DIR|FILE.zip", runPack},
		{"demo", "write the demo dataset: real Pekalongan villages, synthetic households (households.csv, villages/zones/districts.geojson)", runDemo},
		{"version", "print the version", runVersion},
		{"help", "list the subcommands, or explain one: labmap help serve", nil},
	}
}

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	name := args[0]
	if name == "help" || name == "-h" || name == "--help" || name == "-help" {
		if len(args) > 1 {
			for _, c := range commands() {
				if c.name == args[1] && c.run != nil {
					_ = c.run(ctx, []string{"-h"}, stdout, stdout)
					return 0
				}
			}
		}
		usage(stdout)
		return 0
	}
	for _, c := range commands() {
		if c.name == name && c.run != nil {
			err := c.run(ctx, args[1:], stdout, stderr)
			switch {
			case err == nil:
				return 0
			case errors.Is(err, flag.ErrHelp):
				return 0
			case errors.Is(err, errUsage):
				return 2
			default:
				fmt.Fprintf(stderr, "labmap %s: %v\n", name, err)
				return 1
			}
		}
	}
	fmt.Fprintf(stderr, "labmap: unknown command %q\n\n", name)
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "labmap — maps of poverty labs (laboratorium kemiskinan): Kabupaten Pekalongan built in, any regency importable")
	fmt.Fprintln(w, "\nUsage: labmap <command> [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nEvery flag can also be set by an environment variable: --database-url by LABMAP_DATABASE_URL, and so on.")
	fmt.Fprintln(w, "Run 'labmap help <command>' for a command's flags.")
}

func runVersion(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fmt.Fprintln(stdout, "labmap", version)
	return nil
}
