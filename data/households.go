package data

import (
	"context"
	"errors"
	"math"
	"strconv"
	"strings"
	"time"

	"labmap/data/cql"

	"github.com/paulmach/orb"
)

// HouseholdQuery selects the households of one round that staff may read:
// those of Villages (or of every village when AllVillages is set, for
// admins) whose point lies in Bound and that match Filter, in household_id
// order (bytes), a page of Limit after the household After.
type HouseholdQuery struct {
	// Round is a round the dataset has; the caller resolves "latest".
	Round Round
	// Villages are the village codes the reader is granted; an empty list
	// grants nothing, so a forgotten grant shows no household.
	Villages    []string
	AllVillages bool
	Bound       *orb.Bound // CRS84; points on the edge are inside
	Filter      cql.Expr   // checked against HouseholdQueryableTypes()
	Limit       int        // 1..MaxHouseholdLimit
	After       string     // household_id the page starts after; "" for the first page
	// Audit says who reads and why; every read appends one audit record,
	// committed with the read (or a failure record when the read fails).
	Audit AuditEntry
}

// MaxHouseholdLimit bounds one household page: a page is read, audited
// and committed before any of it is sent, so it is held in memory.
const MaxHouseholdLimit = 10000

// AuditEntry is who read households, through which endpoint and with what
// query; the store adds the time, the row count and the outcome.
type AuditEntry struct {
	TokenID    int64
	TokenName  string
	Endpoint   string // e.g. "GET /collections/households/items"
	Query      string // the request's query string (filter, bbox, round…), never a token
	ClientAddr string
}

// AuditRecord is one row of the audit: an AuditEntry with when, how many
// households were read and whether the read succeeded.
type AuditRecord struct {
	ID int64
	At time.Time
	AuditEntry
	Rows  int
	OK    bool
	Error string
}

// AuditQuery selects audit records: those at or after Since, of the token
// named TokenName when it is not empty, oldest first.
type AuditQuery struct {
	Since     time.Time
	TokenName string
}

// HouseholdStore is a store that serves households to staff. Households
// reads one page in a snapshot, appends the audit record in the same
// transaction, commits, and only then hands the households to fn; it
// returns how many households match in all.
type HouseholdStore interface {
	Households(ctx context.Context, q HouseholdQuery, fn func(*Household) error) (matched int, err error)
	// Audit returns the audit records q selects.
	Audit(ctx context.Context, q AuditQuery) ([]AuditRecord, error)
}

// ErrNoHouseholdAccess marks a store that serves no households: the memory
// store without a tokens file.
var ErrNoHouseholdAccess = errors.New("this server serves no households: start it with --database-url (or --tokens-file for a demo)")

// HouseholdQueryable is a household property that filters can name.
type HouseholdQueryable struct {
	Name        string
	Type        cql.Type
	Description Text
}

// HouseholdQueryables lists the properties a household filter can name:
// every contract field except the point (bbox selects by place). causes and
// programs are their codes joined by ';', so LIKE '%pkh%' finds a programme.
func HouseholdQueryables() []HouseholdQueryable {
	s, n, b := cql.TypeString, cql.TypeNumber, cql.TypeBool
	return []HouseholdQueryable{
		{"household_id", s, Text{ID: "Nomor rumah tangga", EN: "Household id"}},
		{"village_code", s, Text{ID: "Kode desa", EN: "Village code"}},
		{"head_name", s, Text{ID: "Nama kepala rumah tangga", EN: "Head of household"}},
		{"members", n, Text{ID: "Jumlah anggota", EN: "Members"}},
		{"poverty_status", s, Text{ID: "Status kemiskinan", EN: "Poverty status"}},
		{"occupation", s, Text{ID: "Pekerjaan", EN: "Occupation"}},
		{"welfare_decile", n, Text{ID: "Desil kesejahteraan", EN: "Welfare decile"}},
		{"causes", s, Text{ID: "Penyebab kemiskinan (dipisah ;)", EN: "Causes of poverty (;-separated)"}},
		{"house_uninhabitable", b, Text{ID: "Rumah tidak layak huni", EN: "House uninhabitable"}},
		{"house_repaired", b, Text{ID: "Rumah sudah diperbaiki", EN: "House repaired"}},
		{"latrine", s, Text{ID: "Jamban", EN: "Latrine"}},
		{"water_source", s, Text{ID: "Sumber air", EN: "Water source"}},
		{"electricity", b, Text{ID: "Listrik", EN: "Electricity"}},
		{"chronic_ill", n, Text{ID: "Sakit kronis", EN: "Chronically ill"}},
		{"chronic_ill_treated", n, Text{ID: "Sakit kronis dirawat", EN: "Chronically ill, treated"}},
		{"disabled", n, Text{ID: "Disabilitas", EN: "Disabled"}},
		{"disabled_assisted", n, Text{ID: "Disabilitas dibantu", EN: "Disabled, assisted"}},
		{"children_school_age", n, Text{ID: "Anak usia sekolah", EN: "Children of school age"}},
		{"children_out_of_school", n, Text{ID: "Anak tidak sekolah", EN: "Children out of school"}},
		{"health_km", n, Text{ID: "Jarak ke faskes (km)", EN: "Distance to health facility (km)"}},
		{"programs", s, Text{ID: "Program (dipisah ;)", EN: "Programmes (;-separated)"}},
	}
}

// HouseholdQueryableTypes maps the household queryables to their types, for cql.Check.
func HouseholdQueryableTypes() map[string]cql.Type {
	out := map[string]cql.Type{}
	for _, q := range HouseholdQueryables() {
		out[q.Name] = q.Type
	}
	return out
}

// HealthKm is the served distance to a health facility: the PostGIS column
// is a real (float4), so both stores serve the float4's shortest decimal,
// and -1 (not recorded) stays -1.
func HealthKm(km float64) float64 {
	if km < 0 {
		return -1
	}
	v, _ := strconv.ParseFloat(strconv.FormatFloat(float64(float32(km)), 'g', -1, 32), 64)
	return v
}

// HouseholdValue is a household's value of a queryable, for filters in Go;
// a field that was not recorded is null, as its column is in PostGIS.
func HouseholdValue(h *Household, name string) cql.Value {
	str := func(s string) cql.Value {
		if s == "" {
			return cql.Value{}
		}
		return cql.Value{Kind: cql.KindString, Str: s}
	}
	num := func(n float64) cql.Value { return cql.Value{Kind: cql.KindNumber, Num: n} }
	flag := func(f Flag) cql.Value {
		if f == FlagUnknown {
			return cql.Value{}
		}
		return cql.Value{Kind: cql.KindBool, Bool: f == FlagYes}
	}
	switch name {
	case "household_id":
		return str(h.ID)
	case "village_code":
		return str(h.VillageCode)
	case "head_name":
		return str(h.HeadName)
	case "members":
		return num(float64(h.Members))
	case "poverty_status":
		return str(h.Status.String())
	case "occupation":
		return str(h.Occupation)
	case "welfare_decile":
		if h.WelfareDecile == 0 {
			return cql.Value{}
		}
		return num(float64(h.WelfareDecile))
	case "causes":
		// Not null when empty: PostGIS keeps '{}', whose joined text is ''.
		return cql.Value{Kind: cql.KindString, Str: strings.Join(h.Causes, ";")}
	case "programs":
		return cql.Value{Kind: cql.KindString, Str: strings.Join(h.Programs, ";")}
	case "house_uninhabitable":
		return flag(h.HouseUninhabitable)
	case "house_repaired":
		return flag(h.HouseRepaired)
	case "latrine":
		return str(h.Latrine.String())
	case "water_source":
		return str(h.WaterSource)
	case "electricity":
		return flag(h.Electricity)
	case "chronic_ill":
		return num(float64(h.ChronicIll))
	case "chronic_ill_treated":
		return num(float64(h.ChronicIllTreated))
	case "disabled":
		return num(float64(h.Disabled))
	case "disabled_assisted":
		return num(float64(h.DisabledAssisted))
	case "children_school_age":
		return num(float64(h.ChildrenSchoolAge))
	case "children_out_of_school":
		return num(float64(h.ChildrenOutOfSchool))
	case "health_km":
		if h.HealthKm < 0 {
			return cql.Value{}
		}
		return num(HealthKm(h.HealthKm))
	}
	return cql.Value{}
}

// InBound reports whether p lies in b, edges included (as PostGIS's &&
// and ST_Intersects take a point on a box's edge).
func InBound(b orb.Bound, p orb.Point) bool {
	return p[0] >= b.Min[0] && p[0] <= b.Max[0] && p[1] >= b.Min[1] && p[1] <= b.Max[1] && !math.IsNaN(p[0])
}
