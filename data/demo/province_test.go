package demo

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"labmap/data"
)

var provinceFixture struct {
	once sync.Once
	p    *Province
	err  error
}

// jawaTengah reads the committed province file once for all tests.
func jawaTengah(t testing.TB) *Province {
	t.Helper()
	provinceFixture.once.Do(func() {
		provinceFixture.p, provinceFixture.err = ReadProvince(context.Background(), ProvinceFile)
	})
	if provinceFixture.err != nil {
		t.Fatal(provinceFixture.err)
	}
	return provinceFixture.p
}

func TestReadProvince(t *testing.T) {
	p := jawaTengah(t)
	if p.Code != "33" || p.Name != "Jawa Tengah" {
		t.Errorf("province %s %q, want 33 Jawa Tengah", p.Code, p.Name)
	}
	if !strings.HasPrefix(p.Source, "cahyadsn/wilayah_boundaries (MIT;") {
		t.Errorf("source %q does not credit cahyadsn/wilayah_boundaries under MIT", p.Source)
	}
	if len(p.Regencies) != 35 {
		t.Errorf("%d regencies and cities, want 35", len(p.Regencies))
	}
	total := 0
	seen := map[string]bool{}
	for _, r := range p.Regencies {
		if !strings.HasPrefix(r.Code, "33.") || r.Name == "" {
			t.Errorf("regency %s %q", r.Code, r.Name)
		}
		for _, v := range r.Villages {
			if !strings.HasPrefix(v.Code, r.Code+".") || seen[v.Code] || len(v.Geometry) == 0 {
				t.Errorf("regency %s: village %s misplaced, repeated or without geometry", r.Code, v.Code)
			}
			seen[v.Code] = true
			if r.DistrictNames[v.DistrictCode] == "" {
				t.Errorf("village %s: kecamatan %s has no name", v.Code, v.DistrictCode)
			}
		}
		total += len(r.Villages)
	}
	// About 8,560 desa and kelurahan in the 2025 Kepmendagri.
	if total < 8500 || total > 8620 {
		t.Errorf("%d villages, want about 8,560", total)
	}

	tests := []struct {
		code, name           string
		villages, districts  int
		kelurahan            int
		firstKecamatan, kota string
	}{
		{code: "33.01", name: "Kabupaten Cilacap", villages: 284, districts: 24, kelurahan: 15, firstKecamatan: "Kedungreja"},
		{code: "33.26", name: "Kabupaten Pekalongan", villages: 285, districts: 19, kelurahan: 13, firstKecamatan: "Kandangserang"},
		{code: "33.74", name: "Kota Semarang", villages: 177, districts: 16, kelurahan: 177, firstKecamatan: "Semarang Tengah"},
		{code: "33.76", name: "Kota Tegal", villages: 27, districts: 4, kelurahan: 27, firstKecamatan: "Tegal Barat"},
	}
	for _, tc := range tests {
		t.Run(tc.code, func(t *testing.T) {
			i := slices.IndexFunc(p.Regencies, func(r Regency) bool { return r.Code == tc.code })
			if i < 0 {
				t.Fatalf("no regency %s", tc.code)
			}
			r := p.Regencies[i]
			kel := 0
			for _, v := range r.Villages {
				if v.Kelurahan {
					kel++
				}
			}
			if r.Name != tc.name || len(r.Villages) != tc.villages || len(r.DistrictNames) != tc.districts || kel != tc.kelurahan {
				t.Errorf("%s %q: %d villages (%d kelurahan) in %d kecamatan, want %q: %d (%d) in %d",
					r.Code, r.Name, len(r.Villages), kel, len(r.DistrictNames), tc.name, tc.villages, tc.kelurahan, tc.districts)
			}
			if got := r.DistrictNames[tc.code+".01"]; got != tc.firstKecamatan {
				t.Errorf("kecamatan %s.01 is %q, want %q", tc.code, got, tc.firstKecamatan)
			}
		})
	}
}

// TestProvinceHasPekalongan holds the province file to the embedded
// Pekalongan file: the same conversion of the same source commit must give
// the same villages, vertex for vertex.
func TestProvinceHasPekalongan(t *testing.T) {
	p := jawaTengah(t)
	b, err := readBoundaries()
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(p.Regencies, func(r Regency) bool { return r.Code == "33.26" })
	if i < 0 {
		t.Fatal("no 33.26")
	}
	got := p.Regencies[i].Villages
	if len(got) != len(b.villages) {
		t.Fatalf("%d villages of 33.26 in the province file, %d in %s", len(got), len(b.villages), BoundariesFile)
	}
	want := slices.Clone(b.villages)
	slices.SortFunc(want, func(x, y data.Village) int { return strings.Compare(x.Code, y.Code) })
	for k := range want {
		g, w := got[k], want[k]
		if g.Code != w.Code || g.Name != w.Name || g.Kelurahan != w.Kelurahan || !sameArea(g.Geometry, w.Geometry) {
			t.Fatalf("village %s (%s) differs from %s's %s (%s)", g.Code, g.Name, BoundariesFile, w.Code, w.Name)
		}
	}
	for _, d := range districts {
		if got := p.Regencies[i].DistrictNames[d.code]; got != d.name {
			t.Errorf("kecamatan %s is %q in the province file, %q in regency.go", d.code, got, d.name)
		}
	}
}

func TestReadProvinceRejects(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, path, want string
	}{
		{"missing file", filepath.Join(dir, "none.geojson.gz"), "no such file"},
		// A regency file has no "labmap:names" member.
		{"regency file", BoundariesFile, "labmap:names"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadProvince(context.Background(), tc.path)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("ReadProvince(%s): %v, want an error with %q", tc.path, err, tc.want)
			}
		})
	}
}

// TestProvinceShares checks the split of households over regencies: exact
// sums, every regency some, and Kabupaten Pekalongan near its real share of
// the province (about 1.0 of 37 million people, 2.7%).
func TestProvinceShares(t *testing.T) {
	p := jawaTengah(t)
	for _, n := range []int{p.minHouseholds(), 30_000, 3_000_000} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			shares := p.shares(n)
			sum := 0
			for i, s := range shares {
				sum += s
				if s < 1 {
					t.Errorf("%s gets %d households", p.Regencies[i].Code, s)
				}
				if p.Regencies[i].Code == "33.26" && n >= 30_000 {
					if f := float64(s) / float64(n); f < 0.02 || f > 0.04 {
						t.Errorf("Kabupaten Pekalongan gets %.1f%% of the province, want 2-4%%", 100*f)
					}
				}
			}
			if sum != n {
				t.Errorf("shares sum to %d, want %d", sum, n)
			}
		})
	}
}

func TestWriteProvinceRejects(t *testing.T) {
	p := jawaTengah(t)
	tests := []struct {
		name string
		opt  ProvinceOptions
		want string
	}{
		{"no households", ProvinceOptions{}, "households must be between"},
		{"too many households", ProvinceOptions{Households: MaxProvinceHouseholds + 1}, "households must be between"},
		{"a regency left empty", ProvinceOptions{Households: p.minHouseholds() / 4}, "without any; give at least " + strconv.Itoa(p.minHouseholds())},
		{"too many rounds", ProvinceOptions{Households: 10_000, Rounds: 51}, "rounds must be between"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			_, err := WriteProvince(context.Background(), p, tc.opt, dir)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("WriteProvince(%+v): %v, want an error with %q", tc.opt, err, tc.want)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("a rejected run left %d entries in %s", len(entries), dir)
			}
		})
	}
}

// TestWriteProvince generates a small province twice and checks that the
// runs are byte-identical, that every regency loads back through the
// import's own reader and checks, that the households of each round add
// up to the requested count, and that a regency's files depend only on the
// seed, its code and its own count.
func TestWriteProvince(t *testing.T) {
	p := jawaTengah(t)
	ctx := context.Background()
	const households, rounds, seed = 2000, 2, 7
	opt := ProvinceOptions{Households: households, Rounds: rounds, Seed: seed}
	dirA, dirB := t.TempDir(), t.TempDir()
	rs, err := WriteProvince(ctx, p, opt, dirA)
	if err != nil {
		t.Fatal(err)
	}
	opt.Workers = 1 // the order regencies are generated in must not matter
	if _, err := WriteProvince(ctx, p, opt, dirB); err != nil {
		t.Fatal(err)
	}
	if len(rs) != len(p.Regencies) {
		t.Fatalf("wrote %d regencies, want %d", len(rs), len(p.Regencies))
	}
	assertSameTree(t, dirA, dirB)

	// The regencies load in parallel; the group returns when all have.
	var mu sync.Mutex
	perRound := map[data.Round]int{}
	// Every regency's households are counted from its CSV; a sample (the
	// first and last regency, Pekalongan with its labs, a kota) goes
	// through the whole import reader, which cleans every village with
	// GEOS: all 35 would cost two minutes under -race.
	sample := map[string]bool{rs[0].Code: true, rs[len(rs)-1].Code: true, "33.26": true, "33.74": true}
	t.Run("regencies", func(t *testing.T) {
		for k, r := range rs {
			t.Run(r.Code, func(t *testing.T) {
				t.Parallel()
				if !sample[r.Code] {
					mine := countRounds(t, filepath.Join(dirA, r.Code, HouseholdsFile))
					mu.Lock()
					for round, n := range mine {
						perRound[round] += n
					}
					mu.Unlock()
					for round, n := range mine {
						if n != r.Households {
							t.Errorf("round %s: %d households, the index says %d", round, n, r.Households)
						}
					}
					return
				}
				files := data.Files{
					Households: filepath.Join(dirA, r.Code, HouseholdsFile), Villages: filepath.Join(dirA, r.Code, VillagesFile),
					Districts: filepath.Join(dirA, r.Code, DistrictsFile),
				}
				_, zerr := os.Stat(filepath.Join(dirA, r.Code, ZonesFile))
				if (zerr == nil) != (r.Code == "33.26") {
					t.Errorf("zones.geojson present: %v; want it for 33.26 only", zerr == nil)
				}
				if zerr == nil {
					files.Zones = filepath.Join(dirA, r.Code, ZonesFile)
				}
				ds, err := data.LoadFiles(ctx, files, data.ReadOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if reg := data.RegionOf(data.Region{}, ds.Villages); reg.Code != r.Code {
					t.Errorf("the files cover region %q, want %s", reg.Code, r.Code)
				}
				if len(ds.Villages) != len(p.Regencies[k].Villages) || len(ds.Districts) != len(p.Regencies[k].DistrictNames) {
					t.Errorf("loaded %d villages, %d districts; the province file has %d, %d",
						len(ds.Villages), len(ds.Districts), len(p.Regencies[k].Villages), len(p.Regencies[k].DistrictNames))
				}
				if r.Code == "33.26" && len(ds.Zones) != len(pilots) {
					t.Errorf("33.26 has %d labs, want %d", len(ds.Zones), len(pilots))
				}
				mine := map[data.Round]int{}
				for _, h := range ds.Households {
					mine[h.Round]++
				}
				mu.Lock()
				for round, n := range mine {
					perRound[round] += n
				}
				mu.Unlock()
				if len(mine) != rounds {
					t.Errorf("%d rounds, want %d", len(mine), rounds)
				}
				for round, n := range mine {
					if n != r.Households {
						t.Errorf("round %s: %d households, the index says %d", round, n, r.Households)
					}
				}
			})
		}
	})
	for round, n := range perRound {
		if n != households {
			t.Errorf("round %s: %d households over the regencies, want %d", round, n, households)
		}
	}
	if len(perRound) != rounds {
		t.Errorf("%d rounds over the province, want %d", len(perRound), rounds)
	}

	t.Run("index", func(t *testing.T) {
		fh, err := os.Open(filepath.Join(dirA, IndexFile))
		if err != nil {
			t.Fatal(err)
		}
		defer fh.Close()
		rows, err := csv.NewReader(fh).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != len(rs)+1 || rows[1][0] != rs[0].Code || rows[len(rows)-1][6] != strconv.Itoa(rs[len(rs)-1].Households) {
			t.Errorf("%s does not list the regencies written: %v", IndexFile, rows[:min(len(rows), 3)])
		}
	})

	// One regency alone, with its count and seed from the province run,
	// gives the same bytes: nothing else in the province reaches it.
	tests := []struct {
		code string
		seed uint64
		same bool
	}{
		{"33.76", seed, true},
		{"33.26", seed, true},
		{"33.76", seed + 1, false},
	}
	for _, tc := range tests {
		t.Run("alone/"+tc.code+"/seed"+strconv.FormatUint(tc.seed, 10), func(t *testing.T) {
			i := slices.IndexFunc(rs, func(r RegencyOutput) bool { return r.Code == tc.code })
			dirC := t.TempDir()
			o := ProvinceOptions{Households: households, Rounds: rounds, Seed: tc.seed}
			if _, err := p.writeRegency(ctx, i, rs[i].Households, o, dirC); err != nil {
				t.Fatal(err)
			}
			for _, f := range []string{HouseholdsFile, VillagesFile, DistrictsFile} {
				a, errA := os.ReadFile(filepath.Join(dirA, tc.code, f))
				c, errC := os.ReadFile(filepath.Join(dirC, tc.code, f))
				if errA != nil || errC != nil {
					t.Fatal(errA, errC)
				}
				if f == HouseholdsFile && bytes.Equal(a, c) != tc.same {
					t.Errorf("%s alone with seed %d: same bytes %v, want %v", f, tc.seed, !tc.same, tc.same)
				}
				if f != HouseholdsFile && !bytes.Equal(a, c) {
					t.Errorf("%s alone differs from the province run's", f)
				}
			}
		})
	}
}

// assertSameTree checks that two directories hold the same files with the
// same bytes.
func assertSameTree(t *testing.T, a, b string) {
	t.Helper()
	var names []string
	err := filepath.WalkDir(a, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(a, path)
		names = append(names, rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(names) < 3*35 {
		t.Fatalf("%s holds %d files, want at least %d", a, len(names), 3*35)
	}
	for _, n := range names {
		x, errX := os.ReadFile(filepath.Join(a, n))
		y, errY := os.ReadFile(filepath.Join(b, n))
		if errX != nil || errY != nil {
			t.Fatalf("%s: %v %v", n, errX, errY)
		}
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs between two runs with the same seed", n)
		}
	}
	var count int
	_ = filepath.WalkDir(b, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			count++
		}
		return nil
	})
	if count != len(names) {
		t.Errorf("the second run wrote %d files, the first %d", count, len(names))
	}
}

// countRounds counts the rows of a households CSV per round, by its header.
func countRounds(t *testing.T, path string) map[data.Round]int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	col := slices.Index(recs[0], "round")
	if col < 0 {
		t.Fatalf("%s: no round column in %v", path, recs[0])
	}
	out := map[data.Round]int{}
	for _, rec := range recs[1:] {
		out[data.Round(rec[col])]++
	}
	return out
}
