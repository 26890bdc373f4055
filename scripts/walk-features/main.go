// Command walk-features pages through an OGC API Features collection the
// way a client does and prints what it took, for scripts/bench-features:
//
//	features seconds features/s pages first_ms median_ms p99_ms max_ms
//
// With -follow it follows rel=next links (labmap's keyset cursors, what QGIS
// and GDAL do); without, it pages by offset until a short page (for servers
// that offer no next links, as pg_featureserv).
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"time"
)

func main() {
	items := flag.String("items", "", "the items URL of the collection")
	limit := flag.Int("limit", 100, "page size")
	follow := flag.Bool("follow", false, "follow rel=next links instead of paging by offset")
	flag.Parse()
	if err := walk(*items, *limit, *follow); err != nil {
		fmt.Fprintln(os.Stderr, "walk-features:", err)
		os.Exit(1)
	}
}

func walk(items string, limit int, follow bool) error {
	if items == "" {
		return errors.New("flag -items: give the items URL")
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1, DisableCompression: true}}
	feature := []byte(`"type":"Feature"`)
	var times []time.Duration
	n := 0
	start := time.Now()
	next := withQuery(items, "limit", strconv.Itoa(limit))
	for next != "" {
		t0 := time.Now()
		resp, err := client.Get(next)
		if err != nil {
			return err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", next, err)
		}
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s: %s: %.300s", next, resp.Status, body)
		}
		times = append(times, time.Since(t0))
		got := bytes.Count(body, feature)
		n += got
		switch {
		case follow:
			if next, err = nextLink(body); err != nil {
				return fmt.Errorf("%s: %w", next, err)
			}
		case got < limit:
			next = ""
		default:
			next = withQuery(items, "limit", strconv.Itoa(limit), "offset", strconv.Itoa(n))
		}
	}
	secs := time.Since(start).Seconds()
	ms := func(d time.Duration) string { return strconv.FormatFloat(float64(d)/1e6, 'f', 1, 64) }
	first := times[0]
	slices.Sort(times)
	fmt.Println(n, strconv.FormatFloat(secs, 'f', 3, 64), int(float64(n)/secs), len(times),
		ms(first), ms(times[len(times)/2]), ms(times[len(times)*99/100]), ms(times[len(times)-1]))
	return nil
}

func withQuery(u string, kv ...string) string {
	p, err := url.Parse(u)
	if err != nil {
		return u
	}
	q := p.Query()
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	p.RawQuery = q.Encode()
	return p.String()
}

// nextLink finds the href of the rel=next link without decoding the page:
// the features dominate the body, and decoding them would measure the client.
func nextLink(body []byte) (string, error) {
	i := bytes.LastIndex(body, []byte(`"links":`))
	if i < 0 {
		return "", errors.New("no links member")
	}
	var doc struct {
		Links []struct{ Href, Rel string } `json:"links"`
	}
	dec := json.NewDecoder(bytes.NewReader(append([]byte{'{'}, body[i:]...)))
	if err := dec.Decode(&doc); err != nil {
		return "", fmt.Errorf("links: %w", err)
	}
	for _, l := range doc.Links {
		if l.Rel == "next" {
			return l.Href, nil
		}
	}
	return "", nil
}
