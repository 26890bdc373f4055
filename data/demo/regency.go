package demo

import (
	"math"

	"github.com/paulmach/orb"

	"labmap/data"
)

// setting is the kind of place a village is; it drives who lives there and how
// poor they are.
type setting uint8

const (
	upland setting = iota // Dieng foothills and the Petungkriyono forest
	hills
	lowland
	town
	coast
	numSettings
)

// districtSpec describes one kecamatan. Area and population are rough,
// census-like magnitudes: they only make district sizes and densities look
// right relative to each other, they are not published figures.
type districtSpec struct {
	code      string
	name      string
	villages  int
	kelurahan int
	centre    orb.Point
	setting   setting
	// inland is the setting of a coastal district's villages away from the shore.
	inland setting
	// townKm makes desa within this distance of the centre urban (a district
	// capital inside a rural kecamatan).
	townKm     float64
	areaKm2    float64
	population float64
	// shore, when set, is a path from the centre to the coast that is claimed
	// before anything grows, so that a coastal district is sure to reach the sea
	// even when a neighbour's centre lies nearer to it.
	shore []orb.Point
}

// districts follows PEKALONGAN.md: codes, names, village and kelurahan counts
// and approximate centres.
var districts = [...]districtSpec{
	{code: "33.26.01", name: "Kandangserang", villages: 14, centre: orb.Point{109.53, -7.16}, setting: upland, areaKm2: 60, population: 32},
	{code: "33.26.02", name: "Paninggaran", villages: 15, centre: orb.Point{109.59, -7.16}, setting: upland, areaKm2: 77, population: 38},
	{code: "33.26.03", name: "Lebakbarang", villages: 11, centre: orb.Point{109.66, -7.14}, setting: upland, areaKm2: 60, population: 12},
	{code: "33.26.04", name: "Petungkriyono", villages: 9, centre: orb.Point{109.73, -7.16}, setting: upland, areaKm2: 74, population: 14},
	{code: "33.26.05", name: "Talun", villages: 10, centre: orb.Point{109.73, -7.03}, setting: hills, areaKm2: 57, population: 29},
	{code: "33.26.06", name: "Doro", villages: 14, centre: orb.Point{109.68, -7.04}, setting: hills, areaKm2: 69, population: 44},
	{code: "33.26.07", name: "Karanganyar", villages: 15, centre: orb.Point{109.62, -7.04}, setting: hills, areaKm2: 61, population: 41},
	{code: "33.26.08", name: "Kajen", villages: 25, kelurahan: 1, centre: orb.Point{109.58, -7.04}, setting: hills, townKm: 1.8, areaKm2: 75, population: 76},
	{code: "33.26.09", name: "Kesesi", villages: 23, centre: orb.Point{109.52, -7.01}, setting: lowland, areaKm2: 68, population: 72},
	{code: "33.26.10", name: "Sragi", villages: 17, kelurahan: 1, centre: orb.Point{109.55, -6.95}, setting: lowland, areaKm2: 33, population: 70},
	{code: "33.26.11", name: "Bojong", villages: 22, centre: orb.Point{109.60, -6.96}, setting: lowland, areaKm2: 40, population: 68},
	{code: "33.26.12", name: "Wonopringgo", villages: 14, centre: orb.Point{109.64, -6.99}, setting: lowland, areaKm2: 20, population: 46},
	{code: "33.26.13", name: "Kedungwuni", villages: 19, kelurahan: 3, centre: orb.Point{109.65, -6.97}, setting: town, areaKm2: 23, population: 104},
	{code: "33.26.14", name: "Buaran", villages: 10, kelurahan: 3, centre: orb.Point{109.66, -6.93}, setting: town, areaKm2: 10, population: 48},
	{code: "33.26.15", name: "Tirto", villages: 16, centre: orb.Point{109.64, -6.91}, setting: coast, inland: town, areaKm2: 17, population: 76,
		shore: []orb.Point{{109.646, -6.88}, {109.647, -6.838}}},
	{code: "33.26.16", name: "Wiradesa", villages: 16, kelurahan: 5, centre: orb.Point{109.62, -6.90}, setting: town, areaKm2: 13, population: 64},
	{code: "33.26.17", name: "Siwalan", villages: 13, centre: orb.Point{109.59, -6.89}, setting: coast, inland: lowland, areaKm2: 23, population: 48,
		shore: []orb.Point{{109.592, -6.838}}},
	{code: "33.26.18", name: "Karangdadap", villages: 11, centre: orb.Point{109.69, -6.97}, setting: lowland, areaKm2: 21, population: 44},
	{code: "33.26.19", name: "Wonokerto", villages: 11, centre: orb.Point{109.63, -6.87}, setting: coast, inland: lowland, areaKm2: 16, population: 47,
		shore: []orb.Point{{109.629, -6.838}}},
}

// Positions in districts of the kecamatan that the generator treats specially.
const (
	dPaninggaran = 1
	dKesesi      = 8
	dBuaran      = 13
	dTirto       = 14
)

// outline is a hand-drawn regency boundary, counter-clockwise, about 890 km² (the real one is 836).
// Vertices 26..29 and 0 are the Java Sea shore; 24..26 trace Kota Pekalongan,
// a separate city cut out of the north-east; 17..23 face Batang regency.
var outline = orb.Ring{
	{109.574, -6.852}, {109.558, -6.874}, {109.544, -6.905}, {109.526, -6.938}, {109.509, -6.972},
	{109.500, -7.018}, {109.516, -7.062}, {109.512, -7.108}, {109.510, -7.152}, {109.531, -7.182},
	{109.566, -7.196}, {109.600, -7.214}, {109.638, -7.206}, {109.676, -7.203}, {109.722, -7.245},
	{109.752, -7.210}, {109.764, -7.176}, {109.769, -7.135}, {109.748, -7.098}, {109.752, -7.060},
	{109.736, -7.024}, {109.716, -6.992}, {109.708, -6.955}, {109.694, -6.933}, {109.668, -6.928},
	{109.667, -6.885}, {109.662, -6.851}, {109.641, -6.843}, {109.618, -6.846}, {109.596, -6.842},
	{109.574, -6.852},
}

// shoreline is the coastal part of outline, east to west.
var shoreline = orb.LineString{
	{109.662, -6.851}, {109.641, -6.843}, {109.618, -6.846}, {109.596, -6.842}, {109.574, -6.852},
}

// kotaPekalongan is the city's side of the outline; Kertijayan lies against it.
var kotaPekalongan = orb.LineString{{109.694, -6.933}, {109.668, -6.928}, {109.667, -6.885}, {109.662, -6.851}}

// Kilometres per degree near 7° S, for planar distances in the regency.
const (
	kmPerDegLat = 110.6
	kmPerDegLon = 110.5
)

// distKm is the planar distance between two points in the regency.
func distKm(a, b orb.Point) float64 {
	dx := (a[0] - b[0]) * kmPerDegLon
	dy := (a[1] - b[1]) * kmPerDegLat
	return math.Sqrt(dx*dx + dy*dy)
}

// distToLineKm is the planar distance from p to the nearest point of ls.
func distToLineKm(p orb.Point, ls orb.LineString) float64 {
	best := -1.0
	for i := 0; i+1 < len(ls); i++ {
		a, b := ls[i], ls[i+1]
		ax, ay := (a[0]-p[0])*kmPerDegLon, (a[1]-p[1])*kmPerDegLat
		bx, by := (b[0]-p[0])*kmPerDegLon, (b[1]-p[1])*kmPerDegLat
		dx, dy := bx-ax, by-ay
		t := 0.0
		if l2 := dx*dx + dy*dy; l2 > 0 {
			t = min(1, max(0, -(ax*dx+ay*dy)/l2))
		}
		x, y := ax+t*dx, ay+t*dy
		if d := math.Sqrt(x*x + y*y); best < 0 || d < best {
			best = d
		}
	}
	return best
}

// Pilot villages: the three real poverty labs, with their real codes.
type pilot struct {
	district int
	code     string
	name     string
	zoneID   string
	zoneName string
	kind     data.ZoneKind
}

var pilots = [...]pilot{
	{dBuaran, "33.26.14.2009", "Kertijayan", "urban-kertijayan", "Laboratorium Kemiskinan Perkotaan Kertijayan", data.ZoneUrban},
	{dTirto, "33.26.15.2014", "Mulyorejo", "coastal-mulyorejo", "Laboratorium Kemiskinan Pesisir Mulyorejo", data.ZoneCoastal},
	{dPaninggaran, "33.26.02.2008", "Botosari", "forest-botosari", "Laboratorium Kemiskinan Kawasan Hutan Botosari", data.ZoneForest},
}

// Positions in pilots.
const (
	pilotKertijayan = iota
	pilotMulyorejo
	pilotBotosari
)

// namesake is the second Mulyorejo, in Kesesi: names are not keys.
const namesake = "Mulyorejo"

// desaCodes returns the desa numbers of a district. Buaran's desa skip
// 2007 and 2008 (desa that became kelurahan keep no number), which is why
// Kertijayan, a real desa there, is 2009.
func desaCodes(d int, n int) []int {
	out := make([]int, 0, n)
	for i := 1; len(out) < n; i++ {
		if d == dBuaran && (i == 7 || i == 8) {
			continue
		}
		out = append(out, 2000+i)
	}
	return out
}
