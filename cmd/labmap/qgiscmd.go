package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

const qgisProjectSummary = `Write a QGIS project over a running labmap server: OGC API layers for every
collection and vector-tile layers, styled as the web map, with a group per lab
zone. The project's layers read from the --server URL, so give the address QGIS
users will reach. --out ending in .qgz writes the zipped form.`

func runQGISProject(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("qgis-project", qgisProjectSummary, stderr)
	server := fs.String("server", "http://127.0.0.1:8080", "base URL of the running labmap server, as QGIS users reach it")
	out := fs.String("out", "labmap.qgs", "project file to write (.qgs, or .qgz for the zipped form)")
	indicator := fs.String("indicator", "poverty_rate", "indicator the layers show (see /api/indicators)")
	round := fs.String("round", "", "survey round (default the latest)")
	lang := fs.String("lang", "id", "language of names and labels: id or en")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	ext := strings.ToLower(filepath.Ext(*out))
	if ext != ".qgs" && ext != ".qgz" {
		return fmt.Errorf("--out %s: the file name must end in .qgs or .qgz", *out)
	}
	base, err := url.Parse(strings.TrimSuffix(*server, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return fmt.Errorf("--server %q: not an http(s) URL", *server)
	}
	q := url.Values{}
	q.Set("indicator", *indicator)
	q.Set("lang", *lang)
	if *round != "" {
		q.Set("round", *round)
	}
	// The server writes the URL its client used into the project: asked
	// at --server, it writes --server.
	u := base.String() + "/qgis/labmap" + ext + "?" + q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("--server: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("fetching the project from %s: %w", *server, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error string `json:"error"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&e)
		return fmt.Errorf("fetching the project from %s: %s: %s", *server, resp.Status, e.Error)
	}
	tmp, err := os.CreateTemp(filepath.Dir(*out), ".labmap-project-*")
	if err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	defer os.Remove(tmp.Name())
	n, err := io.Copy(tmp, resp.Body)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", *out, err)
	}
	if err := os.Rename(tmp.Name(), *out); err != nil {
		return fmt.Errorf("writing %s: %w", *out, err)
	}
	fmt.Fprintf(stdout, "wrote %s (%d bytes): open it in QGIS 3.22 or later\n", *out, n)
	return nil
}
