// Package demo builds the default dataset: the real village boundaries of
// Kabupaten Pekalongan (285 desa and kelurahan in 19 kecamatan, from
// cahyadsn/wilayah_boundaries, MIT, per Kepmendagri No 300.2.2-2430 Tahun
// 2025, embedded as pekalongan-villages.geojson.gz), the three poverty labs
// around their real pilot villages, and synthetic households over several
// survey rounds in which the labs lift most of their poor households. The
// boundaries are real; the households are generated and are nobody's real
// data. The same seed always gives the same dataset, byte for byte once
// written. WriteProvince does the same for all of Jawa Tengah, regency by
// regency, from ProvinceFile, which is read from disk rather than embedded.
package demo

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"

	"labmap/data"
)

// Defaults for Options fields left zero.
const (
	// DefaultHouseholds is a tenth of the regency: quick to generate and to
	// load, yet every village has households.
	DefaultHouseholds = 30000
	// DefaultRounds is the baseline and the two follow-up rounds of 2019 and 2020.
	DefaultRounds = 3
	// DefaultSeed is the seed used when Options.Seed is zero.
	DefaultSeed = 1
)

// MaxHouseholds bounds Options.Households: about 17 regencies' worth, far
// beyond any use of a demo, but it keeps a typo from exhausting memory.
const MaxHouseholds = 5_000_000

// Options for the generator. Zero fields take the defaults.
type Options struct {
	// Households per round; 300000 gives the whole regency, about a million people.
	Households int
	// Rounds is the number of survey rounds: 2017-12-01 (baseline),
	// 2019-06-01, 2020-06-01, then yearly on 06-01.
	Rounds int
	// Seed selects the dataset; where people live and how many in each
	// village depend on it too, but never on the number of households.
	Seed uint64
}

func (o Options) withDefaults() (Options, error) {
	if o.Households == 0 {
		o.Households = DefaultHouseholds
	}
	if o.Rounds == 0 {
		o.Rounds = DefaultRounds
	}
	if o.Seed == 0 {
		o.Seed = DefaultSeed
	}
	if o.Households < 0 || o.Households > MaxHouseholds {
		return o, fmt.Errorf("demo: households must be between 1 and %d, got %d", MaxHouseholds, o.Households)
	}
	if o.Rounds < 0 || o.Rounds > 50 {
		return o, fmt.Errorf("demo: rounds must be between 1 and 50, got %d", o.Rounds)
	}
	return o, nil
}

// RoundDates returns the dates of the first n survey rounds: the December
// 2017 baseline, June 2019, June 2020 and every June after.
func RoundDates(n int) []data.Round {
	out := make([]data.Round, n)
	for i := range out {
		switch i {
		case 0:
			out[i] = "2017-12-01"
		default:
			out[i] = data.Round(fmt.Sprintf("%d-06-01", 2018+i))
		}
	}
	return out
}

// Generate builds the whole dataset in memory, deterministically for a seed.
// Villages are ordered by code, districts by code, zones urban, coastal,
// forest, and households by round, then village code, then id.
func Generate(opt Options) (data.Dataset, error) {
	opt, err := opt.withDefaults()
	if err != nil {
		return data.Dataset{}, err
	}
	gy, err := buildGeography(opt.Seed)
	if err != nil {
		return data.Dataset{}, err
	}
	return gy.dataset(opt), nil
}

// dataset adds households to the geography; opt has its defaults filled in.
func (gy *geography) dataset(opt Options) data.Dataset {
	ds := gy.areas()
	ds.Households = simulate(gy, opt)
	return ds
}

// areas gives the villages with their raw geometry, the kecamatan by name
// without geometry and the labs as village lists: data.CheckDataset cleans
// the villages and draws districts and zones from them, as it does for any
// import.
func (gy *geography) areas() data.Dataset {
	reg := gy.plan.region
	reg.Source = gy.source
	ds := data.Dataset{Region: reg}
	ds.Villages = make([]data.Village, len(gy.villages))
	for i, v := range gy.villages {
		// A copy: the import cleans geometry, and the generator's own
		// stays the file's.
		ds.Villages[i] = v.Village
		ds.Villages[i].Geometry = v.Geometry.Clone()
	}
	ds.Districts = make([]data.District, len(gy.plan.districts))
	for d, spec := range gy.plan.districts {
		ds.Districts[d] = data.District{Code: spec.code, Name: spec.name}
	}
	ds.Zones = make([]data.Zone, len(gy.plan.pilots))
	for p, pl := range gy.plan.pilots {
		codes := make([]string, len(gy.zones[p]))
		for k, vi := range gy.zones[p] {
			codes[k] = gy.villages[vi].Code
		}
		ds.Zones[p] = data.Zone{ID: pl.zoneID, Name: pl.zoneName, Kind: pl.kind, VillageCodes: codes}
	}
	return ds
}

// File names WriteFiles writes, the layout `labmap serve --data` reads.
const (
	HouseholdsFile = "households.csv"
	VillagesFile   = "villages.geojson"
	ZonesFile      = "zones.geojson"
	DistrictsFile  = "districts.geojson"
)

// WriteFiles writes households.csv, villages.geojson, zones.geojson and
// districts.geojson into dir, which must exist; zones.geojson only when the
// dataset has zones (a regency without labs). Each file is written under a
// temporary name and renamed when complete, so a cancelled or failed run
// never leaves a truncated file under the real name.
func WriteFiles(ctx context.Context, ds data.Dataset, dir string) error {
	files := []struct {
		name  string
		write func(io.Writer) error
	}{
		{VillagesFile, func(w io.Writer) error { return data.WriteVillages(w, ds.Villages) }},
		{DistrictsFile, func(w io.Writer) error { return data.WriteDistricts(w, ds.Districts) }},
		{ZonesFile, func(w io.Writer) error { return data.WriteZones(w, ds.Zones) }},
		{HouseholdsFile, func(w io.Writer) error { return data.WriteHouseholds(w, ds.Households) }},
	}
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		if f.name == ZonesFile && len(ds.Zones) == 0 {
			continue
		}
		if err := writeFile(ctx, filepath.Join(dir, f.name), f.write); err != nil {
			return err
		}
	}
	return nil
}

func writeFile(ctx context.Context, path string, write func(io.Writer) error) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	bw := bufio.NewWriterSize(ctxWriter{ctx, tmp}, 1<<20)
	if err := write(bw); err != nil {
		return fmt.Errorf("demo: %s: %w", path, err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("demo: %s: %w", path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("demo: %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	return nil
}

// ctxWriter stops a long write once the context is done; it is checked per
// buffer flush, not per row.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.w.Write(p)
}

// Random streams: every part of the generator draws from its own stream, so
// the number of households never shifts the geography, and villages can be
// generated in parallel without changing a byte.
const (
	streamGeography uint64 = iota + 1
	streamBaseline
	streamLabs
	streamHouseholds
	streamSettlements
)

// newRand returns the PCG stream for (seed, stream, index). The second PCG
// word is mixed so that neighbouring indices give unrelated sequences.
func newRand(seed, stream, index uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, splitmix(stream<<40^index^0x5eed_1ab_0000)))
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}
