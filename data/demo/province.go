package demo

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"

	"labmap/data"
)

// ProvinceFile is the committed boundary file of Jawa Tengah (province 33),
// converted by scripts/wilayah-boundaries -province 33 from the same source
// commit as the embedded Pekalongan file. It is too large to embed (4 MB
// gzipped): `labmap demo --province` reads it from disk.
const ProvinceFile = "jawa-tengah-villages.geojson.gz"

// Province is the real village boundaries of one province, regency by
// regency, with the names the boundary file gives.
type Province struct {
	Code string // "33"
	Name string // "Jawa Tengah"
	// Source is the attribution line of the file's "labmap:source" member.
	Source string
	// File is the path the boundaries were read from, for messages.
	File      string
	Regencies []Regency // in code order
}

// Regency is one regency (kabupaten) or city (kota) of a Province.
type Regency struct {
	Code     string         // "33.26"
	Name     string         // "Kabupaten Pekalongan", as the source names it
	Villages []data.Village // in code order, geometry as the file has it
	// DistrictNames maps each kecamatan code of the villages to its name.
	DistrictNames map[string]string
	// weight is the regency's share of the province's people by the
	// village rule of householdWeight, before normalising.
	weight float64
}

// ReadProvince reads a province boundary file written by
// scripts/wilayah-boundaries -province: the villages through
// data.ReadVillages, as any import reads them, and the province, regency
// and kecamatan names of its "labmap:names" member. Every village must
// belong to a named regency and kecamatan of one province.
func ReadProvince(ctx context.Context, path string) (*Province, error) {
	gz, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("demo: province boundaries: %w", err)
	}
	fail := func(err error) (*Province, error) { return nil, fmt.Errorf("demo: %s: %w", path, err) }
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return fail(err)
	}
	source, err := readSource(zr)
	if err != nil {
		return fail(err)
	}
	if err := zr.Reset(bytes.NewReader(gz)); err != nil {
		return fail(err)
	}
	names, err := readNames(zr)
	if err != nil {
		return fail(err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := zr.Reset(bytes.NewReader(gz)); err != nil {
		return fail(err)
	}
	vs, err := data.ReadVillages(zr, path, data.ReadOptions{})
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	slices.SortStableFunc(vs, func(x, y data.Village) int { return cmp.Compare(x.Code, y.Code) })

	p := &Province{Source: source, File: path}
	for code, name := range names {
		if !strings.Contains(code, ".") {
			if p.Code != "" {
				return fail(fmt.Errorf("labmap:names names two provinces, %s and %s", p.Code, code))
			}
			p.Code, p.Name = code, name
		}
	}
	if p.Code == "" {
		return fail(errors.New("labmap:names names no province"))
	}
	for _, v := range vs {
		rc := regencyCode(v.Code)
		if !strings.HasPrefix(rc, p.Code+".") {
			return fail(fmt.Errorf("village %s (%s) is outside province %s", v.Code, v.Name, p.Code))
		}
		if len(p.Regencies) == 0 || p.Regencies[len(p.Regencies)-1].Code != rc {
			if names[rc] == "" {
				return fail(fmt.Errorf("village %s (%s): labmap:names has no regency %s", v.Code, v.Name, rc))
			}
			p.Regencies = append(p.Regencies, Regency{Code: rc, Name: names[rc], DistrictNames: map[string]string{}})
		}
		r := &p.Regencies[len(p.Regencies)-1]
		if _, ok := r.DistrictNames[v.DistrictCode]; !ok {
			if names[v.DistrictCode] == "" {
				return fail(fmt.Errorf("village %s (%s): labmap:names has no kecamatan %s", v.Code, v.Name, v.DistrictCode))
			}
			r.DistrictNames[v.DistrictCode] = names[v.DistrictCode]
		}
		r.Villages = append(r.Villages, v)
		r.weight += householdWeight(v)
	}
	for code, name := range names {
		if strings.Count(code, ".") == 1 {
			if _, ok := slices.BinarySearchFunc(p.Regencies, code, func(r Regency, c string) int { return cmp.Compare(r.Code, c) }); !ok {
				return fail(fmt.Errorf("regency %s (%s) has no villages", code, name))
			}
		}
	}
	return p, nil
}

// regencyCode is the province.regency part of a village code.
func regencyCode(code string) string {
	if len(code) >= 5 {
		return code[:5]
	}
	return code
}

// readNames returns the file's "labmap:names" member, which precedes the
// features, so only the head of the file is decoded.
func readNames(r io.Reader) (map[string]string, error) {
	dec := json.NewDecoder(r)
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, errors.New("not a GeoJSON object")
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		if key, _ := tok.(string); key == "labmap:names" {
			var names map[string]string
			if err := dec.Decode(&names); err != nil {
				return nil, fmt.Errorf("labmap:names: %w", err)
			}
			return names, nil
		}
		if key, _ := tok.(string); key == "features" {
			break
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return nil, err
		}
	}
	return nil, errors.New(`no "labmap:names" member before the features: the file must name its regencies and kecamatan`)
}

// Weights of the village rule that spreads people where the source gives
// no population: the square root of the area, kelurahan counting
// kelurahanWeight times; the means of assignPopulation's random factors.
const kelurahanWeight = 2.4

// householdWeight is a village's expected share of people, before
// normalising: the rule assignPopulation applies inside a kecamatan,
// without its random factor, so the split over regencies does not depend
// on the seed.
func householdWeight(v data.Village) float64 {
	sh := newShape(v.Geometry)
	w := math.Sqrt(sh.areaKm2())
	if v.Kelurahan {
		w *= kelurahanWeight
	}
	return w
}

// regencySparseKm2 is the size above which a desa outside Pekalongan is
// hills rather than lowland: the largest tenth or so of Jawa Tengah's desa,
// mostly teak forest, dry fields or mountain slopes.
const regencySparseKm2 = 8

// plan is what the generator knows of the regency: for Kabupaten
// Pekalongan its own tables (kecamatan populations and settings, the coast,
// the three labs, the published poverty rate); for any other regency only
// what the boundaries give. There every kecamatan is lowland, a kota is town
// throughout, kelurahan and the desa bordering them are town, large desa
// are hills; people are spread by the village rule of householdWeight; no
// labs; and the baseline follows the settings' own poverty rates,
// uncalibrated, since the source has no poverty figures.
func (r *Regency) plan() *regencyPlan {
	if r.Code == "33.26" {
		return pekalonganPlan()
	}
	kota := len(r.Code) == 5 && r.Code[3] == '7'
	setting := lowland
	if kota {
		setting = town
	}
	var ds []districtSpec
	for _, v := range r.Villages {
		if len(ds) == 0 || ds[len(ds)-1].code != v.DistrictCode {
			ds = append(ds, districtSpec{code: v.DistrictCode, name: r.DistrictNames[v.DistrictCode],
				setting: setting, sparseKm2: regencySparseKm2})
		}
		d := &ds[len(ds)-1]
		d.villages++
		if v.Kelurahan {
			d.kelurahan++
		}
		d.population += householdWeight(v)
	}
	return &regencyPlan{
		region:    data.Region{Code: r.Code, Name: data.Text{ID: r.Name, EN: data.EnglishName(r.Name)}, Synthetic: true},
		districts: ds,
	}
}

// MaxProvinceHouseholds bounds ProvinceOptions.Households: above Jawa
// Tengah's real 11 to 12 million households, while each regency's share
// stays within what one generator holds in memory.
const MaxProvinceHouseholds = 15_000_000

// ProvinceOptions for WriteProvince. Zero Rounds and Seed take the defaults
// of Options; Households is required.
type ProvinceOptions struct {
	// Households per round over the whole province, spread over the
	// regencies by the village rule of householdWeight.
	Households int
	Rounds     int
	Seed       uint64
	// Workers is how many regencies are generated at once; default
	// GOMAXPROCS. Each holds its regency's rows in memory until written.
	Workers int
}

// RegencyOutput describes one regency's directory of a province dataset.
type RegencyOutput struct {
	Code, Name, NameEN string
	Dir                string // DIR/33.26
	Villages           int
	Districts          int
	Zones              int
	Households         int // per round
	Seed               uint64
}

// IndexFile lists the regencies WriteProvince wrote, with their names,
// counts and seeds, for scripts that import them one by one.
const IndexFile = "regencies.csv"

// shares splits n households over the regencies by their weights.
func (p *Province) shares(n int) []int {
	ws := make([]float64, len(p.Regencies))
	for i, r := range p.Regencies {
		ws[i] = r.weight
	}
	return allocate(n, ws, nil)
}

// regencySeed gives each regency its own seed from the province seed, so a
// regency's files depend only on the seed, its code and its own household
// count.
func regencySeed(seed uint64, code string) uint64 {
	x, _ := strconv.ParseUint(strings.ReplaceAll(code, ".", ""), 10, 64)
	s := splitmix(seed ^ splitmix(x<<24^0x7e9e_0c7))
	if s == 0 {
		s = 1
	}
	return s
}

// WriteProvince generates the province regency by regency, each in its own
// directory DIR/<code> with the files WriteFiles writes (zones.geojson only
// where there are labs), in exactly the layout `labmap import` reads, and
// lists them in DIR/regencies.csv. Up to opt.Workers regencies are
// generated at once; the first failure cancels the rest.
func WriteProvince(ctx context.Context, p *Province, opt ProvinceOptions, dir string) ([]RegencyOutput, error) {
	if opt.Rounds == 0 {
		opt.Rounds = DefaultRounds
	}
	if opt.Seed == 0 {
		opt.Seed = DefaultSeed
	}
	if opt.Workers <= 0 {
		opt.Workers = runtime.GOMAXPROCS(0)
	}
	if opt.Rounds < 1 || opt.Rounds > 50 {
		return nil, fmt.Errorf("demo: rounds must be between 1 and 50, got %d", opt.Rounds)
	}
	if opt.Households < 1 || opt.Households > MaxProvinceHouseholds {
		return nil, fmt.Errorf("demo: households must be between 1 and %d for a province, got %d", MaxProvinceHouseholds, opt.Households)
	}
	counts := p.shares(opt.Households)
	for i, n := range counts {
		if n == 0 {
			return nil, fmt.Errorf("demo: %d households per round leave %s (%s) without any; give at least %d",
				opt.Households, p.Regencies[i].Code, p.Regencies[i].Name, p.minHouseholds())
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	out := make([]RegencyOutput, len(p.Regencies))
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range min(opt.Workers, len(p.Regencies)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				ro, err := p.writeRegency(ctx, i, counts[i], opt, dir)
				if err != nil {
					cancel(err)
					continue
				}
				out[i] = ro
			}
		}()
	}
	// Largest first, so the last regency to finish is a small one.
	order := make([]int, len(counts))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(counts[b], counts[a]) })
send:
	for _, i := range order {
		select {
		case jobs <- i:
		case <-ctx.Done():
			break send
		}
	}
	close(jobs)
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return nil, err
	}
	if err := writeFile(ctx, filepath.Join(dir, IndexFile), func(w io.Writer) error { return writeIndex(w, out) }); err != nil {
		return nil, err
	}
	return out, nil
}

// minHouseholds is the smallest province count that gives every regency a
// household.
func (p *Province) minHouseholds() int {
	total, least := 0.0, math.Inf(1)
	for _, r := range p.Regencies {
		total += r.weight
		least = min(least, r.weight)
	}
	return int(math.Ceil(total / least))
}

// writeRegency generates regency i with n households per round into
// DIR/<code>.
func (p *Province) writeRegency(ctx context.Context, i, n int, opt ProvinceOptions, dir string) (RegencyOutput, error) {
	if err := ctx.Err(); err != nil {
		return RegencyOutput{}, err
	}
	r := &p.Regencies[i]
	seed := regencySeed(opt.Seed, r.Code)
	// The regency's own copy: the generator sorts and keeps its villages.
	b := boundaries{villages: slices.Clone(r.Villages), source: p.Source}
	gy, err := buildGeographyFrom(r.plan(), p.File, b, seed)
	if err != nil {
		return RegencyOutput{}, fmt.Errorf("regency %s (%s): %w", r.Code, r.Name, err)
	}
	ds := gy.dataset(Options{Households: n, Rounds: opt.Rounds, Seed: seed})
	rdir := filepath.Join(dir, r.Code)
	if err := os.MkdirAll(rdir, 0o755); err != nil {
		return RegencyOutput{}, fmt.Errorf("demo: %w", err)
	}
	if err := WriteFiles(ctx, ds, rdir); err != nil {
		return RegencyOutput{}, fmt.Errorf("regency %s (%s): %w", r.Code, r.Name, err)
	}
	return RegencyOutput{Code: r.Code, Name: ds.Region.Name.ID, NameEN: ds.Region.Name.EN, Dir: rdir,
		Villages: len(ds.Villages), Districts: len(ds.Districts), Zones: len(ds.Zones), Households: n, Seed: seed}, nil
}

func writeIndex(w io.Writer, rs []RegencyOutput) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"code", "name", "name_en", "villages", "districts", "zones", "households_per_round", "seed"})
	for _, r := range rs {
		_ = cw.Write([]string{r.Code, r.Name, r.NameEN, strconv.Itoa(r.Villages), strconv.Itoa(r.Districts),
			strconv.Itoa(r.Zones), strconv.Itoa(r.Households), strconv.FormatUint(r.Seed, 10)})
	}
	cw.Flush()
	return cw.Error()
}
