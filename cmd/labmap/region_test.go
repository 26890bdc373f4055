package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"labmap/data"
	"labmap/data/postgis/pgtest"
	"labmap/internal/testsignal"
)

// anotherRegency writes the real village boundaries of Kota Pekalongan (33.75,
// from the same public source as the default) and a households file with
// perHousehold households in every village over two rounds; half the rows
// carry a village code, the others are placed by point in polygon. Points are
// drawn inside the village and outside every other village of the file,
// because the real file's neighbours overlap.
func anotherRegency(t *testing.T, dir string, perVillage int) (villagesFile, householdsFile string, vs []data.Village) {
	t.Helper()
	// Gzipped, as boundary files are often shared: labmap reads it as it is.
	villagesFile = "../../data/testdata/kota-pekalongan-villages.geojson.gz"
	fh, err := data.OpenInput(villagesFile)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	vs, err = data.ReadVillages(fh, villagesFile, data.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rnd := rand.New(rand.NewPCG(33, 75))
	inside := func(i int, p orb.Point) bool {
		if !planar.MultiPolygonContains(vs[i].Geometry, p) {
			return false
		}
		for j := range vs {
			if j != i && vs[j].Geometry.Bound().Contains(p) && planar.MultiPolygonContains(vs[j].Geometry, p) {
				return false
			}
		}
		return true
	}
	var hs []data.Household
	for i, v := range vs {
		b := v.Geometry.Bound()
		for k := 0; k < perVillage; k++ {
			var p orb.Point
			for tries := 0; ; tries++ {
				p = orb.Point{b.Min[0] + rnd.Float64()*(b.Max[0]-b.Min[0]), b.Min[1] + rnd.Float64()*(b.Max[1]-b.Min[1])}
				if inside(i, p) {
					break
				}
				if tries > 10000 {
					t.Fatalf("no point found inside village %s", v.Code)
				}
			}
			for r, round := range []data.Round{"2023-06-01", "2024-06-01"} {
				h := data.Household{ID: fmt.Sprintf("%s-%d", v.Code, k), Round: round, Loc: p, Members: 1 + k%5,
					Status: data.PovertyStatus(1 + (k+r)%4), HealthKm: -1}
				if k%2 == 0 {
					h.VillageCode = v.Code
				}
				hs = append(hs, h)
			}
		}
	}
	householdsFile = filepath.Join(dir, "households.csv")
	var buf bytes.Buffer
	if err := data.WriteHouseholds(&buf, hs); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(householdsFile, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return villagesFile, householdsFile, vs
}

// startServe runs `labmap serve` with args until the test ends and returns
// its base URL, read from the address the server logs once it listens.
func startServe(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out, logs testsignal.Lines
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), &out, &logs)
	}()
	t.Cleanup(func() { cancel(); <-done })
	addrRE := regexp.MustCompile(`addr=http://(127\.0\.0\.1:\d+)`)
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := addrRE.FindStringSubmatch(logs.String()); m != nil {
			return "http://" + m[1]
		}
		select {
		case code := <-done:
			t.Fatalf("serve exited with %d:\n%s", code, logs.String())
		default:
		}
	}
	t.Fatalf("server did not log its address:\n%s", logs.String())
	return ""
}

func fetchBody(t *testing.T, url string) []byte {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	return b
}

// TestAnotherRegency serves a second real regency from its files, in memory
// and from PostGIS: the extent, title and counts come from its data, and the
// two stores answer byte for byte alike.
// timeStamp matches an OGC API items page's timeStamp member.
var timeStamp = regexp.MustCompile(`"timeStamp":"[^"]*"`)

func TestAnotherRegency(t *testing.T) {
	dir := t.TempDir()
	const perVillage = 8
	vfile, hfile, vs := anotherRegency(t, dir, perVillage)
	var fileBound orb.Bound
	districts := map[string]bool{}
	for i, v := range vs {
		if i == 0 {
			fileBound = v.Geometry.Bound()
		}
		fileBound = fileBound.Union(v.Geometry.Bound())
		districts[data.DistrictCodeOf(v.Code)] = true
	}
	files := []string{"--households", hfile, "--villages", vfile, "--region-name", "Kota Pekalongan", "--region-name-en", "Pekalongan City"}
	mem := startServe(t, files...)

	var health struct {
		Region struct {
			Code string    `json:"code"`
			Name data.Text `json:"name"`
		} `json:"region"`
		Synthetic bool `json:"synthetic"`
	}
	if err := json.Unmarshal(fetchBody(t, mem+"/healthz"), &health); err != nil {
		t.Fatal(err)
	}
	if health.Region.Code != "33.75" || health.Region.Name.ID != "Kota Pekalongan" || health.Region.Name.EN != "Pekalongan City" || health.Synthetic {
		t.Errorf("healthz region = %+v, synthetic %v", health.Region, health.Synthetic)
	}
	var tj struct {
		Bounds [4]float64 `json:"bounds"`
	}
	if err := json.Unmarshal(fetchBody(t, mem+"/tiles/villages.json"), &tj); err != nil {
		t.Fatal(err)
	}
	// Cleaning moves boundaries by metres, not the extent by more than ~100 m.
	want := [4]float64{fileBound.Min[0], fileBound.Min[1], fileBound.Max[0], fileBound.Max[1]}
	for i := range want {
		if d := tj.Bounds[i] - want[i]; d > 0.001 || d < -0.001 {
			t.Errorf("TileJSON bounds = %v, want the file's %v", tj.Bounds, want)
			break
		}
	}
	counts := map[string]int{"village": len(vs), "district": len(districts), "regency": 1}
	for level, n := range counts {
		var st struct {
			Count int `json:"count"`
			Areas []struct {
				Name       string `json:"name"`
				Households int    `json:"households"`
			} `json:"areas"`
		}
		if err := json.Unmarshal(fetchBody(t, mem+"/api/stats?level="+level), &st); err != nil {
			t.Fatal(err)
		}
		if st.Count != n {
			t.Errorf("level %s: %d areas, want %d", level, st.Count, n)
		}
		if level == "regency" && (st.Areas[0].Name != "Kota Pekalongan" || st.Areas[0].Households != len(vs)*perVillage) {
			t.Errorf("regency row = %+v, want Kota Pekalongan with %d households", st.Areas[0], len(vs)*perVillage)
		}
	}
	if title := string(fetchBody(t, mem+"/?f=json")); !strings.Contains(title, "Kota Pekalongan") || strings.Contains(title, "Kabupaten") {
		t.Errorf("landing page does not name the region from the data: %s", title)
	}

	url := pgtest.NewDatabase(t)
	ctx := context.Background()
	for _, args := range [][]string{{"migrate", "--database-url", url}, append([]string{"import", "--quiet", "--database-url", url}, files...)} {
		var out, errb testsignal.Lines
		if code := run(ctx, args, &out, &errb); code != 0 {
			t.Fatalf("labmap %s: exit %d\n%s%s", args[0], code, out.String(), errb.String())
		}
	}
	pg := startServe(t, "--database-url", url)
	for _, path := range []string{
		"/healthz", "/api/rounds", "/api/zones", "/tiles/villages.json",
		"/api/stats?level=regency", "/api/stats?level=regency&lang=en", "/api/stats?level=district",
		"/api/stats?level=village", "/api/stats?level=village&round=2023-06-01", "/api/stats?level=hexagon&res=8",
		"/api/stats?level=hexagon&res=10&fields=poverty_rate,households", "/api/stats?level=hexagon&res=10&bbox=109.6,-6.95,109.7,-6.85",
		"/api/stats?level=village&bbox=109.6,-6.95,109.7,-6.85", "/collections/villages/items?limit=100",
	} {
		a, b := fetchBody(t, mem+path), fetchBody(t, pg+path)
		if path == "/healthz" {
			// Store name and dataset version differ by design; the region may not.
			var ha, hb struct {
				Region any `json:"region"`
			}
			_ = json.Unmarshal(a, &ha)
			_ = json.Unmarshal(b, &hb)
			a, _ = json.Marshal(ha)
			b, _ = json.Marshal(hb)
		}
		a = bytes.ReplaceAll(a, []byte(mem), nil)
		b = bytes.ReplaceAll(b, []byte(pg), nil)
		// An items page is stamped with the second it was made; two
		// requests may straddle a second.
		a = timeStamp.ReplaceAll(a, nil)
		b = timeStamp.ReplaceAll(b, nil)
		if !bytes.Equal(a, b) {
			i := 0
			for i < len(a) && i < len(b) && a[i] == b[i] {
				i++
			}
			from := max(0, i-200)
			t.Errorf("%s differs between memory and PostGIS at byte %d:\nmemory:  …%.400s\npostgis: …%.400s", path, i, a[from:], b[from:])
		}
	}
}
