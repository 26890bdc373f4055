package demo

import "labmap/data"

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

// districtSpec describes one kecamatan. The village and kelurahan counts are
// checked against the boundary file. Population is a rough, census-like
// magnitude in thousands: it only makes district sizes look right relative
// to each other, it is not a published figure.
type districtSpec struct {
	code      string
	name      string
	villages  int
	kelurahan int
	setting   setting
	// inland is the setting of a coastal district's villages away from the shore.
	inland setting
	// townKm makes desa within this distance of one of the district's
	// kelurahan urban: a district capital inside a rural kecamatan.
	townKm     float64
	population float64
	// sparseKm2, when set, makes a desa larger than this hills: mostly
	// fields or forest, far from a market and a clinic. It stands in for
	// elevation where the generator knows only the boundaries.
	sparseKm2 float64
}

// districts are the 19 kecamatan of Kabupaten Pekalongan, in code order.
var districts = [...]districtSpec{
	{code: "33.26.01", name: "Kandangserang", villages: 14, setting: upland, population: 32},
	{code: "33.26.02", name: "Paninggaran", villages: 15, setting: upland, population: 38},
	{code: "33.26.03", name: "Lebakbarang", villages: 11, setting: upland, population: 12},
	{code: "33.26.04", name: "Petungkriyono", villages: 9, setting: upland, population: 14},
	{code: "33.26.05", name: "Talun", villages: 10, setting: hills, population: 29},
	{code: "33.26.06", name: "Doro", villages: 14, setting: hills, population: 44},
	{code: "33.26.07", name: "Karanganyar", villages: 15, setting: hills, population: 41},
	{code: "33.26.08", name: "Kajen", villages: 25, kelurahan: 1, setting: hills, townKm: 1.5, population: 76},
	{code: "33.26.09", name: "Kesesi", villages: 23, setting: lowland, population: 72},
	{code: "33.26.10", name: "Sragi", villages: 17, kelurahan: 1, setting: lowland, population: 70},
	{code: "33.26.11", name: "Bojong", villages: 22, setting: lowland, population: 68},
	{code: "33.26.12", name: "Wonopringgo", villages: 14, setting: lowland, population: 46},
	{code: "33.26.13", name: "Kedungwuni", villages: 19, kelurahan: 3, setting: town, population: 104},
	{code: "33.26.14", name: "Buaran", villages: 10, kelurahan: 3, setting: town, population: 48},
	{code: "33.26.15", name: "Tirto", villages: 16, setting: coast, inland: town, population: 76},
	{code: "33.26.16", name: "Wiradesa", villages: 16, kelurahan: 5, setting: town, population: 64},
	{code: "33.26.17", name: "Siwalan", villages: 13, setting: coast, inland: lowland, population: 48},
	{code: "33.26.18", name: "Karangdadap", villages: 11, setting: lowland, population: 44},
	{code: "33.26.19", name: "Wonokerto", villages: 11, setting: coast, inland: lowland, population: 47},
}

// region is what the demo dataset covers: the regency, with synthetic
// households on real boundaries whose attribution is source.
func region(source string) data.Region {
	return data.Region{Code: "33.26", Name: data.Text{ID: "Kabupaten Pekalongan", EN: "Pekalongan Regency"},
		Synthetic: true, Source: source}
}

// pilot is one of the three real poverty labs, around its real pilot village.
type pilot struct {
	code     string
	name     string
	zoneID   string
	zoneName string
	kind     data.ZoneKind
}

var pilots = [...]pilot{
	{"33.26.14.2009", "Kertijayan", "urban-kertijayan", "Laboratorium Kemiskinan Perkotaan Kertijayan", data.ZoneUrban},
	{"33.26.15.2014", "Mulyorejo", "coastal-mulyorejo", "Laboratorium Kemiskinan Pesisir Mulyorejo", data.ZoneCoastal},
	{"33.26.02.2008", "Botosari", "forest-botosari", "Laboratorium Kemiskinan Kawasan Hutan Botosari", data.ZoneForest},
}

// namesake is a village the boundary file must have under this code and name.
type namesake struct{ code, name string }

// namesakes are the two villages called Mulyorejo, in Tirto (the coastal
// lab) and in Kesesi: names are not keys, and the file must have both.
var namesakes = [...]namesake{{"33.26.15.2014", "Mulyorejo"}, {"33.26.09.2020", "Mulyorejo"}}

// regencyPlan is what the generator knows of one regency beyond its
// boundaries: its kecamatan and their settings, its labs, and the poverty
// rate its baseline is calibrated to.
type regencyPlan struct {
	region    data.Region
	districts []districtSpec
	pilots    []pilot
	namesakes []namesake
	// povertyRate is the regency's share of poor households at baseline;
	// zero leaves the baseline to the settings' own rates.
	povertyRate float64
}

// coastal reports whether a kecamatan has coast villages, which need the
// shoreline.
func (p *regencyPlan) coastal() bool {
	for _, d := range p.districts {
		if d.setting == coast {
			return true
		}
	}
	return false
}

// pekalonganPlan is Kabupaten Pekalongan as the tables above know it.
func pekalonganPlan() *regencyPlan {
	return &regencyPlan{region: region(""), districts: districts[:], pilots: pilots[:],
		namesakes: namesakes[:], povertyRate: baselinePovertyRate}
}

// zoneReachKm is how close a village must come to a pilot village to be
// part of its lab: neighbours that share a border, allowing for the gaps
// and slivers of a real boundary file.
const zoneReachKm = 0.1
