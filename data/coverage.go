package data

import (
	"fmt"
	"io"
	"log/slog"
	"strconv"

	"github.com/paulmach/orb"

	"labmap/geo"
)

// MaxOutsideVillage is how far, in metres, a household's point may lie
// outside the village its village_code names: 1 km covers GPS error and a
// house just across a boundary that the file draws a little off, while a
// point further away is a wrong code or wrong coordinates, and counting it
// in the named village would put it on the map in the wrong place.
const MaxOutsideVillage = 1000

// cleanVillages makes ds.Villages a partition with geo.CleanCoverage (the
// rules are documented there and in the README) and records what it did in
// ds.Coverage. A village whose ground changed keeps the file's geometry in
// Source. Villages that cannot be cleaned are problems of the villages file.
func cleanVillages(ds *Dataset, byCode map[string]int, vps *problems) {
	keys := make([]string, len(ds.Villages))
	areas := make([]orb.MultiPolygon, len(ds.Villages))
	for i, v := range ds.Villages {
		keys[i], areas[i] = v.Code, v.Geometry
	}
	cleaned, rep, err := geo.CleanCoverage(keys, areas, geo.CoverageOptions{})
	if err != nil {
		p := Problem{Field: "geometry", Msg: err.Error()}
		if ce, ok := err.(*geo.CoverageError); ok {
			p.Feature, p.Ref, p.Msg = byCode[ce.Key]+1, "code "+ce.Key, ce.Msg
		}
		vps.add(p)
		return
	}
	changed := make(map[string]bool, len(rep.Changed))
	for _, c := range rep.Changed {
		changed[c] = true
	}
	for i := range ds.Villages {
		v := &ds.Villages[i]
		if cleaned[i] == nil {
			continue
		}
		if changed[v.Code] {
			v.Source = v.Geometry
		}
		v.Geometry = cleaned[i]
	}
	ds.Coverage = rep
}

// dissolveOutlines gives every district and zone the dissolved union of its
// villages as its outline: one valid polygon or multipolygon, the same in
// both stores. A districts file only names districts; its polygons would
// disagree with the cleaned villages and are not used.
func dissolveOutlines(ds *Dataset, byCode map[string]int, vps *problems) {
	dissolve := func(what string, members []orb.MultiPolygon) orb.MultiPolygon {
		mp, err := geo.Dissolve(members)
		if err != nil {
			vps.add(Problem{Msg: fmt.Sprintf("the outline of %s: %v", what, err)})
		}
		return mp
	}
	members := make(map[string][]orb.MultiPolygon)
	for _, v := range ds.Villages {
		members[v.DistrictCode] = append(members[v.DistrictCode], v.Geometry)
	}
	for i := range ds.Districts {
		d := &ds.Districts[i]
		d.Geometry = dissolve("district "+d.Code, members[d.Code])
	}
	for i := range ds.Zones {
		z := &ds.Zones[i]
		mp, err := VillagesOutline(ds.Villages, byCode, z.VillageCodes)
		if err != nil {
			vps.add(Problem{Msg: fmt.Sprintf("the outline of zone %s: %v", z.ID, err)})
		}
		z.Geometry = mp
	}
}

// VillagesOutline is the dissolved union of the villages named by codes
// (positions in villages by byCode; unknown codes are skipped): the outline
// CheckDataset gives a zone, and the import gives a zone it keeps across
// new villages.
func VillagesOutline(villages []Village, byCode map[string]int, codes []string) (orb.MultiPolygon, error) {
	var ms []orb.MultiPolygon
	for _, c := range codes {
		if vi, ok := byCode[c]; ok {
			ms = append(ms, villages[vi].Geometry)
		}
	}
	return geo.Dissolve(ms)
}

// VillageCheck checks the village_code of household rows against the
// (cleaned) villages: the code must name a village and the point must lie
// within MaxOutsideVillage of it. The memory store's loader and the PostGIS
// import's stream both use it, so both refuse the same rows with the same
// words.
type VillageCheck struct {
	file   string
	byCode map[string]int
	vs     []Village
}

// NewVillageCheck prepares the check; villagesFile names the villages file
// in messages.
func NewVillageCheck(vs []Village, villagesFile string) *VillageCheck {
	c := &VillageCheck{file: villagesFile, byCode: make(map[string]int, len(vs)), vs: vs}
	for i, v := range vs {
		if _, dup := c.byCode[v.Code]; !dup {
			c.byCode[v.Code] = i
		}
	}
	return c
}

// Check returns the problem with h's village_code, if any; a household
// without a code passes (it is placed by point in polygon instead).
func (c *VillageCheck) Check(h *Household) (Problem, bool) {
	if h.VillageCode == "" {
		return Problem{}, true
	}
	i, ok := c.byCode[h.VillageCode]
	if !ok {
		return Problem{Line: h.Line, Field: "village_code", Msg: fmt.Sprintf("%q names no village in %s", h.VillageCode, c.file)}, false
	}
	v := &c.vs[i]
	d := geo.DistanceOutside(v.Geometry, h.Loc)
	if d <= MaxOutsideVillage {
		return Problem{}, true
	}
	return Problem{Line: h.Line, Field: "lon/lat", Msg: fmt.Sprintf(
		"(%s, %s) lies %s km outside village %s (%s); check the coordinates or the village_code",
		fmtCoord(h.Loc[0]), fmtCoord(h.Loc[1]), strconv.FormatFloat(d/1000, 'f', 1, 64), v.Code, v.Name)}, false
}

// LogCoverage logs what cleaning the villages file did, as one warning
// with the counts, the overlap area and the largest pairs; nothing when
// the file was a clean partition.
func LogCoverage(log *slog.Logger, villagesFile string, rep geo.CoverageReport) {
	if rep.Clean() {
		return
	}
	closed, closedArea := rep.ClosedGaps()
	attrs := []any{"file", villagesFile, "repaired", len(rep.Repairs), "overlaps", len(rep.Overlaps),
		"overlap_ha", round2(rep.OverlapArea() / 1e4), "gaps_closed", closed, "gaps_closed_ha", round2(closedArea / 1e4),
		"gaps_open", len(rep.Gaps) - closed, "villages_changed", len(rep.Changed)}
	var largest []string
	for _, o := range rep.Overlaps[:min(3, len(rep.Overlaps))] {
		largest = append(largest, fmt.Sprintf("%s/%s %.2f ha", o.A, o.B, o.Area/1e4))
	}
	if len(largest) > 0 {
		attrs = append(attrs, "largest_overlaps", largest)
	}
	log.Warn("villages cleaned: overlaps resolved, gaps closed, invalid polygons repaired; `labmap check` lists them", attrs...)
}

func round2(v float64) float64 { return float64(int64(v*100+0.5)) / 100 }

// WriteCoverage writes the full cleaning report of ds for a person to read:
// each repair, each overlap with the pair, its area and who kept it, and
// each gap with where it is and who got it.
func WriteCoverage(w io.Writer, villagesFile string, ds Dataset) error {
	rep := ds.Coverage
	name := make(map[string]string, len(ds.Villages))
	for _, v := range ds.Villages {
		name[v.Code] = v.Name
	}
	label := func(code string) string { return code + " (" + name[code] + ")" }
	ew := &errWriter{w: w}
	if rep.Clean() {
		ew.printf("%s: %d villages, a clean partition: no repair, overlap or gap\n", villagesFile, len(ds.Villages))
		return ew.err
	}
	closed, closedArea := rep.ClosedGaps()
	ew.printf("%s: %d villages; %d repaired, %d overlaps (%.2f ha), %d gaps closed (%.2f ha), %d gaps left open; %d villages changed\n",
		villagesFile, len(ds.Villages), len(rep.Repairs), len(rep.Overlaps), rep.OverlapArea()/1e4,
		closed, closedArea/1e4, len(rep.Gaps)-closed, len(rep.Changed))
	if len(rep.Repairs) > 0 {
		ew.printf("\nRepaired (GEOS MakeValid, structure method):\n")
		for _, r := range rep.Repairs {
			ew.printf("  %s: %s\n", label(r.Key), r.Reason)
		}
	}
	if len(rep.Overlaps) > 0 {
		ew.printf("\nOverlaps, largest first (each piece goes to the village sharing the longer boundary with it):\n")
		for _, o := range rep.Overlaps {
			ew.printf("  %s / %s: %.0f m²; %.0f m² to %s, %.0f m² to %s\n", label(o.A), label(o.B), o.Area,
				o.KeptByA, o.A, max(o.Area-o.KeptByA, 0), o.B)
		}
	}
	if len(rep.Gaps) > 0 {
		ew.printf("\nGaps between villages, largest first (up to %.1f ha closed):\n", geo.DefaultMaxGapArea/1e4)
		for _, g := range rep.Gaps {
			to := "left open: a lake, or land of no village? check the file"
			if g.To != "" {
				to = "closed: to " + label(g.To)
			}
			ew.printf("  %.1f m² at (%s, %s): %s\n", g.Area, strconv.FormatFloat(g.At[0], 'f', 6, 64),
				strconv.FormatFloat(g.At[1], 'f', 6, 64), to)
		}
	}
	return ew.err
}

// errWriter keeps the first write error so a report is written without an
// error check per line.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}
