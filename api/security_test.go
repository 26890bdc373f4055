package api

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestHTMLPagesCarryCSP checks every HTML page labmap serves: the web map
// and the OGC API's pages each carry a policy that forbids inline script,
// and every response is marked nosniff and same-origin referrer.
func TestHTMLPagesCarryCSP(t *testing.T) {
	f := newAuthFixture(t)
	tests := []struct {
		path, accept string
	}{
		{"/", "text/html"},
		{"/?f=html", ""},
		{"/conformance?f=html", ""},
		{"/collections?f=html", ""},
		{"/collections/villages?f=html", ""},
		{"/collections/villages/items?f=html", ""},
		{"/collections/villages/items/33.26.14.2009?f=html", ""},
		{"/api.html", ""},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, tc.path, nil)
			if tc.accept != "" {
				r.Header.Set("Accept", tc.accept)
			}
			w := httptest.NewRecorder()
			f.h.ServeHTTP(w, r)
			if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") {
				t.Fatalf("status %d, Content-Type %q", w.Code, w.Header().Get("Content-Type"))
			}
			csp := w.Header().Get("Content-Security-Policy")
			if csp == "" {
				t.Fatal("no Content-Security-Policy on an HTML page")
			}
			if strings.Contains(csp, "unsafe-eval") || strings.Contains(scriptSources(csp), "unsafe-inline") || !strings.Contains(csp, "base-uri 'none'") {
				t.Errorf("policy allows inline script or a base URL: %s", csp)
			}
			if w.Header().Get("X-Content-Type-Options") != "nosniff" || w.Header().Get("Referrer-Policy") != "same-origin" {
				t.Errorf("security headers: %v", w.Header())
			}
		})
	}
}

// scriptSources is the policy's script-src, or its default-src when it
// has none (what a browser applies to scripts).
func scriptSources(csp string) string {
	var def string
	for _, d := range strings.Split(csp, ";") {
		d = strings.TrimSpace(d)
		if strings.HasPrefix(d, "script-src ") {
			return d
		}
		if strings.HasPrefix(d, "default-src ") {
			def = d
		}
	}
	return def
}
