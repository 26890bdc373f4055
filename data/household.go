// Package data holds labmap's domain: households, villages, districts, lab
// zones and survey rounds, the indicator registry that defines every figure
// once, the file readers that validate input, and the Store interface that the
// PostGIS and in-memory stores implement.
package data

import (
	"fmt"
	"time"

	"github.com/paulmach/orb"
)

// Round is a survey round, identified by its ISO date (2017-12-01). Its
// string form sorts chronologically.
type Round string

// ParseRound checks that s is an ISO calendar date.
func ParseRound(s string) (Round, error) {
	if _, err := time.Parse(time.DateOnly, s); err != nil {
		return "", fmt.Errorf("%q is not an ISO date (YYYY-MM-DD)", s)
	}
	return Round(s), nil
}

// PovertyStatus is a household's welfare class at one round.
type PovertyStatus uint8

// Poverty statuses, from worst to best. The zero value is invalid so that a
// forgotten assignment is caught by validation.
const (
	Extreme PovertyStatus = iota + 1
	Poor
	Vulnerable
	NonPoor
)

// PovertyStatuses maps the contract's spelling to each status.
var PovertyStatuses = map[string]PovertyStatus{
	"extreme": Extreme, "poor": Poor, "vulnerable": Vulnerable, "non_poor": NonPoor,
}

// IsPoor reports whether the status counts as poor (poor or extreme).
func (s PovertyStatus) IsPoor() bool { return s == Extreme || s == Poor }

func (s PovertyStatus) String() string {
	switch s {
	case Extreme:
		return "extreme"
	case Poor:
		return "poor"
	case Vulnerable:
		return "vulnerable"
	case NonPoor:
		return "non_poor"
	}
	return ""
}

// Latrine is a household's access to a latrine (jamban).
type Latrine uint8

// Latrine kinds; LatrineUnknown when the survey did not record it.
const (
	LatrineUnknown Latrine = iota
	LatrineOwn
	LatrineShared
	LatrineNone
)

// Latrines maps the contract's spelling to each latrine kind.
var Latrines = map[string]Latrine{"own": LatrineOwn, "shared": LatrineShared, "none": LatrineNone}

func (l Latrine) String() string {
	switch l {
	case LatrineOwn:
		return "own"
	case LatrineShared:
		return "shared"
	case LatrineNone:
		return "none"
	}
	return ""
}

// Flag is a yes/no survey answer that may be missing. Rates count only the
// households where the answer is known, so a missing answer must not read as "no".
type Flag uint8

// Flag values.
const (
	FlagUnknown Flag = iota
	FlagNo
	FlagYes
)

func (f Flag) String() string {
	switch f {
	case FlagNo:
		return "false"
	case FlagYes:
		return "true"
	}
	return ""
}

// WaterSources lists the accepted water_source values and whether each is a
// safe source in the BPS sense (protected or piped).
var WaterSources = map[string]bool{
	"piped": true, "protected_well": true, "protected_spring": true, "bottled": true, "rainwater": true,
	"unprotected_well": false, "unprotected_spring": false, "river": false, "other": false,
}

// Programs lists the accepted programme codes in the programs column.
var Programs = []string{"pkh", "bpnt", "pbi_jk", "kip", "rtlh", "jamban", "kudu_sekolah", "blt", "uhc"}

// Causes lists the accepted causes of poverty with their labels.
var Causes = map[string]Text{
	"low_income":        {ID: "Pendapatan rendah", EN: "Low income"},
	"unemployment":      {ID: "Tidak bekerja", EN: "Unemployment"},
	"illness":           {ID: "Sakit kronis", EN: "Chronic illness"},
	"disability":        {ID: "Disabilitas", EN: "Disability"},
	"elderly_alone":     {ID: "Lansia tunggal", EN: "Elderly living alone"},
	"low_education":     {ID: "Pendidikan rendah", EN: "Low education"},
	"no_land":           {ID: "Tidak punya lahan", EN: "No land"},
	"debt":              {ID: "Jerat utang", EN: "Debt"},
	"large_family":      {ID: "Tanggungan banyak", EN: "Many dependants"},
	"female_headed":     {ID: "Perempuan kepala keluarga", EN: "Female-headed household"},
	"seasonal_work":     {ID: "Pekerjaan musiman", EN: "Seasonal work"},
	"disaster":          {ID: "Bencana (banjir rob, longsor)", EN: "Disaster (tidal flood, landslide)"},
	"remote_location":   {ID: "Lokasi terpencil", EN: "Remote location"},
	"poor_housing":      {ID: "Rumah tidak layak", EN: "Poor housing"},
	"no_social_support": {ID: "Tanpa dukungan sosial", EN: "No social support"},
}

// Occupations lists the accepted occupation values with their labels.
var Occupations = map[string]Text{
	"farmer":           {ID: "Petani", EN: "Farmer"},
	"farm_labourer":    {ID: "Buruh tani", EN: "Farm labourer"},
	"fisher":           {ID: "Nelayan", EN: "Fisher"},
	"fish_processing":  {ID: "Pengolah ikan", EN: "Fish processing"},
	"forest_worker":    {ID: "Pekerja hutan", EN: "Forest worker"},
	"factory_worker":   {ID: "Buruh pabrik", EN: "Factory worker"},
	"batik_worker":     {ID: "Pengrajin batik", EN: "Batik worker"},
	"construction":     {ID: "Buruh bangunan", EN: "Construction worker"},
	"trader":           {ID: "Pedagang", EN: "Trader"},
	"informal":         {ID: "Sektor informal", EN: "Informal work"},
	"civil_servant":    {ID: "PNS", EN: "Civil servant"},
	"private_employee": {ID: "Karyawan swasta", EN: "Private employee"},
	"unemployed":       {ID: "Tidak bekerja", EN: "Unemployed"},
	"other":            {ID: "Lainnya", EN: "Other"},
}

// Household is one household at one survey round: the data contract's row.
// Counts of people that were not recorded are zero.
type Household struct {
	ID      string
	Round   Round
	Loc     orb.Point // lon, lat in WGS84
	Members int
	Status  PovertyStatus

	VillageCode   string // empty until joined when the file had none
	HeadName      string // personal data: never served publicly
	Occupation    string
	WelfareDecile int // 1..10, 0 when not recorded
	Causes        []string

	HouseUninhabitable Flag
	HouseRepaired      Flag
	Latrine            Latrine
	WaterSource        string
	Electricity        Flag

	ChronicIll          int
	ChronicIllTreated   int
	Disabled            int
	DisabledAssisted    int
	ChildrenSchoolAge   int
	ChildrenOutOfSchool int
	HealthKm            float64 // -1 when not recorded
	Programs            []string

	// BaselineStatus is the status at the household's first round in the
	// dataset; stores fill it in, readers leave it zero.
	BaselineStatus PovertyStatus

	// Line is the line of the households file the row came from, so that a
	// later check (the village join) can still say where a bad row is; 0 when
	// the row did not come from a file.
	Line int
}

// Lifted reports whether the household was poor at its first round and is no
// longer poor at this one.
func (h *Household) Lifted() bool {
	return h.BaselineStatus.IsPoor() && !h.Status.IsPoor()
}

// Text is a label in Bahasa Indonesia and English.
type Text struct {
	ID string `json:"id"`
	EN string `json:"en"`
}

// In returns the text in lang ("id" or "en"); Indonesian is the default.
func (t Text) In(lang string) string {
	if lang == "en" && t.EN != "" {
		return t.EN
	}
	return t.ID
}
