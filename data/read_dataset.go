package data

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"labmap/geo"
)

// Files names the input files of one import. Households and Villages are
// required; Zones and Districts may be empty. Without a districts file the
// districts are derived from the village codes (see CheckDataset).
type Files struct {
	Households, Villages, Zones, Districts string
}

// LoadFiles opens and reads all files, then cross-checks them with
// CheckDataset. Every file is read even when an earlier one has problems, so
// that one run reports what is wrong everywhere; the error then joins one
// *InputError per file (use errors.As to get at them).
func LoadFiles(ctx context.Context, f Files, opt ReadOptions) (Dataset, error) {
	if f.Households == "" || f.Villages == "" {
		return Dataset{}, errors.New("loading files: a households file and a villages file are required")
	}
	return loadDataset(ctx, f, opt, true)
}

// LoadAreas reads and cross-checks only the villages, districts and zones of
// f, for an import that streams the households file instead of holding it.
// The result has no households; the checks are those of CheckDataset.
func LoadAreas(ctx context.Context, f Files, opt ReadOptions) (Dataset, error) {
	if f.Villages == "" {
		return Dataset{}, errors.New("loading files: a villages file is required")
	}
	return loadDataset(ctx, f, opt, false)
}

func loadDataset(ctx context.Context, f Files, opt ReadOptions, households bool) (Dataset, error) {
	opt = opt.withDefaults()
	var ds Dataset
	errs := readAreas(ctx, f, opt, &ds)
	if households {
		if err := readFile(ctx, f.Households, func(r io.Reader) (err error) {
			ds.Households, err = ReadHouseholds(r, f.Households, opt)
			return err
		}); err != nil {
			errs = append(errs, err)
		}
	}
	if err := ctx.Err(); err != nil {
		return Dataset{}, fmt.Errorf("loading files: %w", err)
	}
	if len(errs) > 0 {
		return Dataset{}, errors.Join(errs...)
	}
	if err := checkDataset(&ds, f, opt.MaxErrors); err != nil {
		return Dataset{}, err
	}
	return ds, nil
}

func readAreas(ctx context.Context, f Files, opt ReadOptions, ds *Dataset) []error {
	var errs []error
	read := func(name string, fn func(io.Reader) error) {
		if err := readFile(ctx, name, fn); err != nil {
			errs = append(errs, err)
		}
	}
	read(f.Villages, func(r io.Reader) (err error) {
		ds.Villages, err = ReadVillages(r, f.Villages, opt)
		return err
	})
	read(f.Districts, func(r io.Reader) (err error) {
		ds.Districts, err = ReadDistricts(r, f.Districts, opt)
		return err
	})
	read(f.Zones, func(r io.Reader) (err error) {
		ds.Zones, err = ReadZones(r, f.Zones, opt)
		return err
	})
	return errs
}

// readFile opens name and hands it to fn; an empty name is no file to read.
func readFile(ctx context.Context, name string, fn func(io.Reader) error) error {
	if name == "" || ctx.Err() != nil {
		return nil
	}
	fh, err := OpenInput(name)
	if err != nil {
		return fmt.Errorf("loading files: %w", err)
	}
	defer fh.Close()
	return fn(ctxReader{ctx, fh})
}

// ctxReader lets a long read (a million household rows) stop when the
// import is cancelled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// CheckDataset validates what no single file can: village codes are unique,
// every household's village_code names a village and its point lies within
// MaxOutsideVillage of it, every zone's villages exist. It cleans the
// villages into a partition (geo.CleanCoverage: invalid polygons repaired,
// overlaps resolved, sliver gaps closed; the file's geometry of a changed
// village kept in Source, the report in ds.Coverage). It also fills the
// derived fields, keeping every slice in its input order: a village's
// DistrictCode from its code; Districts from the village codes (a district
// file's entries come first and give the names, missing ones are added with
// the code as name); every district's and zone's Geometry, the dissolved
// union of its villages (a districts file's polygons are not used); the
// VillageCode of households without one, by point-in-polygon; the
// VillageCodes of zones given only as a polygon (the villages whose interior
// point lies in it); and every household's BaselineStatus, its status at its
// earliest round.
//
// householdsFile names the households file in messages; problems come back
// as one *InputError per file, joined. On error ds may be partly filled.
func CheckDataset(ds *Dataset, householdsFile string) error {
	return checkDataset(ds, Files{Households: householdsFile}, DefaultMaxErrors)
}

func orName(name, fallback string) string {
	if name == "" {
		return fallback
	}
	return name
}

func checkDataset(ds *Dataset, f Files, maxErrors int) error {
	vfile := orName(f.Villages, "villages")
	vps := &problems{file: vfile, max: maxErrors}
	zps := &problems{file: orName(f.Zones, "zones"), max: maxErrors}
	hps := &problems{file: orName(f.Households, "households"), max: maxErrors}

	if len(ds.Villages) == 0 {
		vps.add(Problem{Msg: "there are no villages; every household must lie in one"})
	}
	byCode := make(map[string]int, len(ds.Villages))
	for i := range ds.Villages {
		v := &ds.Villages[i]
		if v.DistrictCode == "" {
			v.DistrictCode = DistrictCodeOf(v.Code)
		}
		if first, dup := byCode[v.Code]; dup {
			vps.add(Problem{Feature: i + 1, Ref: "code " + v.Code, Field: "code",
				Msg: fmt.Sprintf("code %s is also used by feature %d", v.Code, first+1)})
			continue
		}
		byCode[v.Code] = i
	}

	// Cleaning comes first: zones given as a polygon pick their villages,
	// and households without a code their village, from the cleaned
	// partition, where no point lies in two villages.
	if len(vps.list) == 0 && len(ds.Villages) > 0 {
		cleanVillages(ds, byCode, vps)
	}
	ds.Districts = mergeDistricts(ds.Districts, ds.Villages)
	checkZones(ds, byCode, zps, vfile)
	dissolveOutlines(ds, byCode, vps)
	vcheck := NewVillageCheck(ds.Villages, vfile)

	// The index is built only when some household lacks a village code: a
	// file that names every village needs no geometry at all.
	var idx *geo.PolygonIndex
	for i := range ds.Households {
		h := &ds.Households[i]
		ref := ""
		if h.Line == 0 {
			ref = fmt.Sprintf("household %s round %s", h.ID, h.Round)
		}
		if h.VillageCode != "" {
			if p, ok := vcheck.Check(h); !ok {
				p.Ref = ref
				if !hps.add(p) {
					break
				}
			}
			continue
		}
		if idx == nil {
			polys := make([]orb.MultiPolygon, len(ds.Villages))
			for j := range ds.Villages {
				polys[j] = ds.Villages[j].Geometry
			}
			idx = geo.NewPolygonIndex(polys)
		}
		j := idx.Find(h.Loc)
		if j < 0 {
			if !hps.add(Problem{Line: h.Line, Ref: ref, Field: "lon/lat",
				Msg: fmt.Sprintf("(%s, %s) lies outside every village in %s; give a village_code or check the coordinates",
					fmtCoord(h.Loc[0]), fmtCoord(h.Loc[1]), vfile)}) {
				break
			}
			continue
		}
		h.VillageCode = ds.Villages[j].Code
	}

	FillBaseline(ds.Households)
	return errors.Join(vps.err(), zps.err(), hps.err())
}

func fmtCoord(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// mergeDistricts keeps the given districts in order and appends, in order of
// first appearance, those that only the village codes name.
func mergeDistricts(given []District, vs []Village) []District {
	known := make(map[string]bool, len(given))
	for _, d := range given {
		known[d.Code] = true
	}
	out := given
	for _, v := range vs {
		if !known[v.DistrictCode] {
			known[v.DistrictCode] = true
			out = append(out, District{Code: v.DistrictCode, Name: v.DistrictCode})
		}
	}
	return out
}

func checkZones(ds *Dataset, byCode map[string]int, ps *problems, vfile string) {
	var reps []orb.Point // villages' interior points, computed once if needed
	for i := range ds.Zones {
		z := &ds.Zones[i]
		ref := "id " + z.ID
		switch {
		case len(z.VillageCodes) > 0:
			for _, c := range z.VillageCodes {
				if _, ok := byCode[c]; !ok {
					ps.add(Problem{Feature: i + 1, Ref: ref, Field: "villages",
						Msg: fmt.Sprintf("%q names no village in %s", c, vfile)})
				}
			}
		case len(z.Geometry) > 0:
			if reps == nil {
				reps = make([]orb.Point, len(ds.Villages))
				for j := range ds.Villages {
					reps[j] = interiorPoint(ds.Villages[j].Geometry)
				}
			}
			bound := z.Geometry.Bound()
			for j, p := range reps {
				if bound.Contains(p) && planar.MultiPolygonContains(z.Geometry, p) {
					z.VillageCodes = append(z.VillageCodes, ds.Villages[j].Code)
				}
			}
			if len(z.VillageCodes) == 0 {
				ps.add(Problem{Feature: i + 1, Ref: ref, Field: "geometry",
					Msg: fmt.Sprintf("the polygon holds no village of %s", vfile)})
			}
		default:
			ps.add(Problem{Feature: i + 1, Ref: ref, Field: "geometry/villages",
				Msg: "a zone needs a polygon or a list of village codes"})
		}
	}
}

// interiorPoint returns a point inside the largest polygon of mp. The
// centroid is used when it lies inside; a crescent-shaped village's centroid
// may lie in its neighbour, so otherwise the point is the middle of the widest
// stretch of a horizontal line through the polygon, which always lies inside.
func interiorPoint(mp orb.MultiPolygon) orb.Point {
	if len(mp) == 0 {
		return orb.Point{}
	}
	var best orb.Polygon
	var bestC orb.Point
	bestA := -1.0
	for _, p := range mp {
		c, a := planar.CentroidArea(p)
		if a = math.Abs(a); a > bestA {
			best, bestC, bestA = p, c, a
		}
	}
	if planar.PolygonContains(best, bestC) {
		return bestC
	}
	b := best.Bound()
	for _, y := range []float64{bestC[1], (b.Min[1] + b.Max[1]) / 2} {
		if p, ok := scanlinePoint(best, y); ok && planar.PolygonContains(best, p) {
			return p
		}
	}
	if len(best) > 0 && len(best[0]) > 0 {
		return best[0][0]
	}
	return bestC
}

// scanlinePoint intersects the line at y with every ring (holes included)
// and returns the middle of the widest inside stretch. Edges count as
// crossing when their ends lie on opposite sides of y, with an end exactly
// on y counted as above, so a vertex on the line is counted once.
func scanlinePoint(p orb.Polygon, y float64) (orb.Point, bool) {
	var xs []float64
	for _, r := range p {
		for i := 0; i+1 < len(r); i++ {
			a, b := r[i], r[i+1]
			if (a[1] >= y) != (b[1] >= y) {
				xs = append(xs, a[0]+(y-a[1])*(b[0]-a[0])/(b[1]-a[1]))
			}
		}
	}
	if len(xs) < 2 {
		return orb.Point{}, false
	}
	slices.Sort(xs)
	bestW, bestX := -1.0, 0.0
	for i := 0; i+1 < len(xs); i += 2 {
		if w := xs[i+1] - xs[i]; w > bestW {
			bestW, bestX = w, (xs[i]+xs[i+1])/2
		}
	}
	return orb.Point{bestX, y}, bestW > 0
}
