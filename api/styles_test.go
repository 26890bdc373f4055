package api

import (
	"encoding/xml"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestNativeStyleEndpoints(t *testing.T) {
	srv, _ := newTestServer(t)
	for _, tc := range []struct {
		path, contentType, root string
		want                    []string // in the body
	}{
		{"/styles/poverty_rate.qml", "application/xml", "qgis", []string{"RuleRenderer", `name="Tingkat kemiskinan"`, "disembunyikan"}},
		{"/styles/poverty_rate.qml?lang=en&layer=districts", "application/xml", "qgis", []string{`name="Poverty rate"`, "hidden"}},
		{"/styles/dominant_cause.sld?layer=hexagons&res=9", "application/vnd.ogc.sld+xml", "StyledLayerDescriptor", []string{"<se:Name>hexagons_r9</se:Name>", "<ogc:PropertyName>dominant_cause</ogc:PropertyName>"}},
		{"/styles/poverty_rate.sld?round=2017-12-01", "application/vnd.ogc.sld+xml", "StyledLayerDescriptor", []string{"<se:Name>villages</se:Name>", "PropertyIsNull"}},
	} {
		t.Run(tc.path, func(t *testing.T) {
			resp, err := http.Get(srv.URL + tc.path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), tc.contentType) {
				t.Fatalf("status %d, Content-Type %q: %s", resp.StatusCode, resp.Header.Get("Content-Type"), b)
			}
			var root struct{ XMLName xml.Name }
			if err := xml.Unmarshal(b, &root); err != nil || root.XMLName.Local != tc.root {
				t.Fatalf("root %v, err %v", root.XMLName, err)
			}
			for _, w := range tc.want {
				if !strings.Contains(string(b), w) {
					t.Errorf("body lacks %q", w)
				}
			}
		})
	}
	for _, tc := range []struct {
		path   string
		status int
		msg    string
	}{
		{"/styles/wealth.qml", 404, "wealth"},
		{"/styles/poverty_rate.sld?layer=kabupaten", 400, "parameter layer"},
		{"/styles/poverty_rate.qml?round=June", 400, "parameter round"},
		{"/styles/poverty_rate.qml?round=2001-01-01", 400, "2001-01-01"},
		{"/styles/poverty_rate.sld?colour=red", 400, "parameter colour"},
		{"/qgis/labmap.qgs?indicator=wealth", 400, "parameter indicator"},
		{"/qgis/labmap.qgs?round=2001-01-01", 400, "2001-01-01"},
		{"/qgis/labmap.qgs?lang=fr", 400, "parameter lang"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			body := getJSON(t, srv.URL+tc.path, tc.status)
			if msg, _ := body["error"].(string); !strings.Contains(msg, tc.msg) {
				t.Errorf("error %q does not name %q", msg, tc.msg)
			}
		})
	}
}

func TestQGISProjectPointsAtTheClientsURL(t *testing.T) {
	srv, store := newTestServer(t)
	proxied := httptest.NewServer(New(store, slog.New(slog.NewTextHandler(io.Discard, nil)), Options{TrustProxy: true}))
	defer proxied.Close()
	forwarded := map[string]string{"X-Forwarded-Host": "gis.example.go.id", "X-Forwarded-Proto": "https"}
	for _, tc := range []struct {
		name    string
		server  *httptest.Server
		headers map[string]string
		want    string
	}{
		// The server's root, followed by the end of the URL or by its query
		// (hexagon layers carry a sortby).
		{"direct", srv, nil, "url='" + srv.URL + "/"},
		{"behind a proxy, --trust-proxy", proxied, forwarded, "url='https://gis.example.go.id/"},
		// Without --trust-proxy anyone could send the headers and have the
		// project point at a host of their choosing.
		{"forwarding headers not trusted", srv, forwarded, "url='" + srv.URL + "/"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, tc.server.URL+"/qgis/labmap.qgs?indicator=lifted_rate&lang=en", nil)
			for k, v := range tc.headers {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != 200 {
				t.Fatalf("status %d: %s", resp.StatusCode, b)
			}
			var doc struct {
				Sources []string `xml:"projectlayers>maplayer>datasource"`
			}
			if err := xml.Unmarshal(b, &doc); err != nil {
				t.Fatal(err)
			}
			oapif := 0
			for _, s := range doc.Sources {
				if strings.Contains(s, "typename=") {
					oapif++
					if !strings.Contains(s, tc.want+"'") && !strings.Contains(s, tc.want+"?") {
						t.Errorf("datasource %q does not read from %s", s, tc.want)
					}
				}
			}
			if oapif < 8 {
				t.Errorf("%d OGC API layers", oapif)
			}
			if !strings.Contains(string(b), "Lifted rate") {
				t.Error("the project does not name the indicator in English")
			}
		})
	}
	resp, err := http.Get(srv.URL + "/qgis/labmap.qgz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/zip" || !strings.HasPrefix(string(b), "PK") {
		t.Errorf(".qgz: status %d, %q, starts %q", resp.StatusCode, resp.Header.Get("Content-Type"), b[:min(4, len(b))])
	}
}
