package api

import (
	"strings"
)

// pagePolicy is the web map page's Content-Security-Policy. Scripts come
// only from labmap itself (no inline script, no eval), so text that slips
// into the page as markup cannot run. MapLibre starts its workers from
// blob: URLs and decodes images into blob: and data: URLs. Inline styles
// stay allowed: MapLibre and the legend position and colour elements with
// style attributes, and a style cannot run code. A basemap, when
// configured, is the one other host the page may load tiles from.
func pagePolicy(basemapURL string) string {
	img := "img-src 'self' data: blob:"
	connect := "connect-src 'self'"
	if src := basemapSource(basemapURL); src != "" {
		img += " " + src
		connect += " " + src
	}
	return strings.Join([]string{
		"default-src 'self'",
		"script-src 'self'",
		"style-src 'self' 'unsafe-inline'",
		img,
		connect,
		"worker-src 'self' blob:",
		"child-src blob:",
		"font-src 'self'",
		"object-src 'none'",
		"base-uri 'none'",
		"form-action 'self'",
		"frame-ancestors 'self'",
	}, "; ")
}

// ogcPagePolicy is the Content-Security-Policy of the OGC API's HTML
// pages (html.go): they have no script at all, one inline style sheet and
// inline SVG maps, so nothing may load or run but that style.
const ogcPagePolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'self'"

// basemapSource is the CSP source of a basemap URL template: its scheme and
// host, with a {s}-style subdomain placeholder as a wildcard
// (https://{s}.tile.example/… → https://*.tile.example). A template whose
// host cannot be read allows nothing.
func basemapSource(tmpl string) string {
	scheme, rest, ok := strings.Cut(tmpl, "://")
	if !ok || (scheme != "http" && scheme != "https") {
		return ""
	}
	host, _, _ := strings.Cut(rest, "/")
	host, _, _ = strings.Cut(host, "?")
	labels := strings.Split(host, ".")
	for i, l := range labels {
		if strings.ContainsAny(l, "{}") {
			if i != 0 {
				return ""
			}
			labels[i] = "*"
		}
		if strings.ContainsAny(labels[i], " ;,'\"") {
			return ""
		}
	}
	if host == "" {
		return ""
	}
	return scheme + "://" + strings.Join(labels, ".")
}
