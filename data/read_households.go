package data

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/paulmach/orb"
)

// requiredColumns are the columns a households file must have.
var requiredColumns = [...]int{colHouseholdID, colRound, colLon, colLat, colMembers, colPovertyStatus}

// Indonesia's extent, loosely: used only to recognise a lon/lat pair that was
// entered the wrong way round.
const (
	indonesiaMinLon, indonesiaMaxLon = 94.0, 142.0
	indonesiaMinLat, indonesiaMaxLat = -11.0, 6.0
)

// ReadHouseholds reads a households CSV file (the data contract in
// DESIGN.md) and validates every row. file names the input in messages.
// Columns may come in any order and are matched ignoring case and
// surrounding spaces; a UTF-8 byte order mark and CRLF line endings are
// accepted, since spreadsheets write both.
//
// When anything is wrong the result is nil and the error an *InputError that
// lists every problem up to opt.MaxErrors; other errors come from reading r.
// To save memory on large files, repeated values (round, village code,
// occupation, water source, causes and programs lists) are shared between
// households: treat the Causes and Programs slices as read-only.
func ReadHouseholds(r io.Reader, file string, opt ReadOptions) ([]Household, error) {
	// Rows are gathered in fixed-size chunks and copied once into a slice of
	// the exact size: growing one slice by doubling copied and cleared about
	// three times the final size on a 900,000-row file.
	const chunkSize = 1 << 14
	var chunks [][]Household
	var cur []Household
	err := ScanHouseholds(r, file, opt, func(h *Household) error {
		if len(cur) == cap(cur) {
			cur = make([]Household, 0, chunkSize)
			chunks = append(chunks, cur)
		}
		cur = append(cur, *h)
		chunks[len(chunks)-1] = cur
		return nil
	})
	if err != nil {
		return nil, err
	}
	total := 0
	for _, c := range chunks {
		total += len(c)
	}
	hs := make([]Household, 0, total)
	for _, c := range chunks {
		hs = append(hs, c...)
	}
	return hs, nil
}

// ScanHouseholds validates a households CSV file like ReadHouseholds but
// hands each valid row to fn as soon as it is read, so an import can stream
// a file of any size. Once a problem is found fn is not called again, but
// the rest of the file is still checked so that every problem is reported;
// a caller that has already passed rows on must discard them (an import
// rolls back its transaction). An error from fn stops the scan and is
// returned as is. fn must not keep h, which is reused.
//
// Files as spreadsheets write them are read too: UTF-16 (by its byte order
// mark) or, with opt.Encoding, Windows-1252; a semicolon, tab or | instead
// of the comma, found from the header row or from Excel's "sep=;" first
// line; decimal commas (-6,9123) when the delimiter is not the comma; empty
// columns after the last named one; rows of nothing but delimiters.
func ScanHouseholds(r io.Reader, file string, opt ReadOptions, fn func(h *Household) error) error {
	opt = opt.withDefaults()
	ps := &problems{file: file, max: opt.MaxErrors}

	br, _, err := textReader(r, opt.Encoding)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	d, err := sniffDialect(br)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	cr := csv.NewReader(br)
	cr.Comma = d.comma
	cr.ReuseRecord = true

	header, err := cr.Read()
	if err == io.EOF {
		ps.add(Problem{Msg: "the file is empty: no header row and no data rows"})
		return ps.err()
	}
	if err != nil {
		if csvProblem(ps, err, d.lineBase) {
			return ps.err()
		}
		return fmt.Errorf("%s: %w", file, err)
	}
	hr := &householdRows{
		ps:           ps,
		lineBase:     d.lineBase,
		comma:        d.comma,
		decimalComma: d.comma != ',',
		textFirst:    -1,
		strs:         make(map[string]string),
		codes:        make(map[string]string),
		causes:       make(map[string][]string),
		programs:     make(map[string][]string),
		rounds:       make(map[string]Round),
		seen:         make(map[householdKey]int),

		occupations:  sortedKeys(Occupations),
		causeKeys:    sortedKeys(Causes),
		waterSources: sortedKeys(WaterSources),
	}
	if !hr.parseHeader(header, opt) {
		return ps.err()
	}
	ncols := len(header)

	rows := 0
	for !hr.stop {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) && errors.Is(pe.Err, csv.ErrFieldCount) {
				if blank(rec) {
					continue
				}
				rows++
				hr.stop = !ps.add(Problem{Line: pe.StartLine + d.lineBase,
					Msg: fmt.Sprintf("has %d fields but the header has %d columns", len(rec), ncols)})
				continue
			}
			if csvProblem(ps, err, d.lineBase) {
				break
			}
			return fmt.Errorf("%s: %w", file, err)
		}
		// Excel writes a row of bare delimiters (";;;;") for a blank row.
		if blank(rec) {
			continue
		}
		rows++
		line, _ := cr.FieldPos(0)
		h, ok := hr.parseRow(rec, line+d.lineBase)
		if ok && len(ps.list) == 0 {
			if err := fn(&h); err != nil {
				return err
			}
		}
	}
	if hr.textMore > 0 && hr.textFirst >= 0 {
		ps.list[hr.textFirst].Msg += fmt.Sprintf(" (the same on %s after it, not listed)", plural(hr.textMore, "more line"))
	}
	if rows == 0 && len(ps.list) == 0 {
		ps.add(Problem{Line: 1 + d.lineBase, Msg: "the file has a header but no data rows"})
	}
	return ps.err()
}

// blank reports whether every field of a record is empty or spaces.
func blank(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

// csvDialect is how a households file separates its fields.
type csvDialect struct {
	comma    rune
	lineBase int // 1 when Excel's "sep=" line came before the header
}

// delimiters are those sniffDialect recognises, the contract's first.
var delimiters = [...]rune{',', ';', '\t', '|'}

// sniffDialect reads Excel's "sep=;" line when the file starts with one,
// and otherwise picks the delimiter that splits the header row into the most
// known column names (the comma when none does, or on a tie).
func sniffDialect(br *bufio.Reader) (csvDialect, error) {
	line, err := peekLine(br)
	if err != nil {
		return csvDialect{}, err
	}
	text := strings.Trim(strings.TrimRight(string(line), "\r\n"), `"`)
	if len(text) > 4 && strings.EqualFold(text[:4], "sep=") {
		c, size := utf8.DecodeRuneInString(text[4:])
		if strings.Trim(text[4+size:], string(c)) == "" && c != '"' && c != '\r' && c != '\n' {
			_, _ = br.Discard(len(line))
			return csvDialect{comma: c, lineBase: 1}, nil
		}
	}
	best, bestKnown, bestFields := ',', -1, 0
	for _, c := range delimiters {
		cr := csv.NewReader(bytes.NewReader(line))
		cr.Comma = c
		cr.LazyQuotes = true
		fields, err := cr.Read()
		if err != nil {
			continue
		}
		known := 0
		for _, f := range fields {
			if slices.Contains(householdColumns[:], strings.ToLower(strings.TrimSpace(f))) {
				known++
			}
		}
		if known > bestKnown || known == bestKnown && len(fields) > bestFields {
			best, bestKnown, bestFields = c, known, len(fields)
		}
	}
	return csvDialect{comma: best}, nil
}

// peekLine returns the first line of br, with its line feed, without
// consuming it; a line longer than the buffer is cut at its end.
func peekLine(br *bufio.Reader) ([]byte, error) {
	for n := 1024; ; n *= 2 {
		n = min(n, br.Size())
		b, err := br.Peek(n)
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			return b[:i+1], nil
		}
		if err == io.EOF || err == bufio.ErrBufferFull || n == br.Size() {
			return b, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// delimiterName names a delimiter in messages.
func delimiterName(c rune) string {
	switch c {
	case ',':
		return `"," (comma)`
	case ';':
		return `";" (semicolon)`
	case '\t':
		return "tab"
	}
	return strconv.QuoteRune(c)
}

// csvProblem records a CSV syntax error (a stray quote, say) and reports
// whether err was one. Such errors end the reading: after a broken quote the
// reader cannot tell where the next row starts.
func csvProblem(ps *problems, err error, lineBase int) bool {
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		return false
	}
	ps.add(Problem{Line: pe.Line + lineBase, Msg: fmt.Sprintf("column %d: %v; reading stopped here", pe.Column, pe.Err)})
	return true
}

type householdKey struct {
	id    string
	round Round
}

// householdRows holds what one ReadHouseholds call learns as it goes: where
// each column is, the values already seen (interned), and the rows seen.
type householdRows struct {
	ps    *problems
	pos   [numHouseholdColumns]int // position in the record, -1 when absent
	named int                      // columns up to the last one with a name
	rec   []string
	line  int
	bad   bool // the current row has a problem
	stop  bool // MaxErrors reached

	lineBase     int  // lines before the header (Excel's sep= line)
	comma        rune // the delimiter
	decimalComma bool // "-6,9" is a number: the delimiter is not the comma

	// Text that is not UTF-8 is listed once, at its first line: a file in
	// another encoding has it on line after line.
	textFirst int // index in ps.list, -1 before the first
	textMore  int // further lines with such text

	// csv.Reader returns each record's fields as substrings of one string per
	// line; keeping any of them would keep the whole line alive. Interned
	// values and cloned ids avoid that, and repeated values share memory.
	strs     map[string]string
	codes    map[string]string   // village code as written -> normalised
	causes   map[string][]string // raw text -> validated list
	programs map[string][]string
	rounds   map[string]Round
	seen     map[householdKey]int // first line of each (household_id, round)

	// allowed values, sorted, for messages
	occupations, causeKeys, waterSources []string
}

func (hr *householdRows) parseHeader(header []string, opt ReadOptions) bool {
	for i := range hr.pos {
		hr.pos[i] = -1
	}
	byName := make(map[string]int, numHouseholdColumns)
	for i, name := range householdColumns {
		byName[name] = i
	}
	// Spreadsheets add empty columns after the last one with a name.
	hr.named = len(header)
	for hr.named > 0 && strings.TrimSpace(header[hr.named-1]) == "" {
		hr.named--
	}
	var unknown []string
	known := 0
	for i, raw := range header[:hr.named] {
		name := strings.ToLower(strings.TrimSpace(raw))
		id, ok := byName[name]
		if ok {
			known++
		}
		if !ok {
			if !opt.IgnoreUnknown {
				unknown = append(unknown, raw)
			}
			continue
		}
		if hr.pos[id] >= 0 {
			hr.ps.add(Problem{Line: 1 + hr.lineBase, Field: name,
				Msg: fmt.Sprintf("column appears twice (columns %d and %d)", hr.pos[id]+1, i+1)})
			continue
		}
		hr.pos[id] = i
	}
	if known == 0 {
		shown := header[:min(hr.named, 6)]
		quoted := make([]string, len(shown))
		for i, h := range shown {
			if len(h) > 40 {
				cut := 40
				for cut > 0 && !utf8.RuneStart(h[cut]) {
					cut--
				}
				h = h[:cut] + "..."
			}
			quoted[i] = strconv.Quote(h)
		}
		more := ""
		if hr.named > len(shown) {
			more = ", ..."
		}
		hr.ps.add(Problem{Line: 1 + hr.lineBase, Msg: fmt.Sprintf(
			"the header has no known column: split at %s, the delimiter found, it reads as %s, %s%s; "+
				"labmap finds a comma, semicolon, tab or | delimiter (or takes Excel's sep= first line) and needs the columns %s: "+
				"save the file with one of those delimiters and name its columns as the data contract does",
			delimiterName(hr.comma), plural(hr.named, "column"), strings.Join(quoted, ", "), more, requiredNames())})
		return false
	}
	for _, raw := range unknown {
		field := raw
		if strings.TrimSpace(raw) == "" {
			field = `""`
		}
		hr.ps.add(Problem{Line: 1 + hr.lineBase, Field: field, Msg: "unknown column; the known columns are " +
			strings.Join(householdColumns[:], ", ") + " (the import flag --ignore-unknown skips unknown columns)"})
	}
	for _, id := range requiredColumns {
		if hr.pos[id] < 0 {
			hr.ps.add(Problem{Line: 1 + hr.lineBase, Field: householdColumns[id], Msg: "required column is missing"})
		}
	}
	return len(hr.ps.list) == 0
}

// plural writes "1 line", "2 lines".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// requiredNames lists the required columns for messages.
func requiredNames() string {
	names := make([]string, len(requiredColumns))
	for i, id := range requiredColumns {
		names[i] = householdColumns[id]
	}
	return strings.Join(names, ", ")
}

// checkText refuses text that is not UTF-8 or was damaged by an earlier
// conversion, before any value is used: such a name must not reach the
// database (PostgreSQL would refuse it mid-import) nor the map.
func (hr *householdRows) checkText() {
	for col, p := range hr.pos {
		if p < 0 || p >= len(hr.rec) {
			continue
		}
		msg := textFault(hr.rec[p], csvTextFix)
		if msg == "" {
			continue
		}
		hr.bad = true
		if hr.textFirst >= 0 {
			hr.textMore++
			return
		}
		if n := len(hr.ps.list); hr.ps.add(Problem{Line: hr.line, Field: householdColumns[col], Msg: msg}) {
			hr.textFirst = n
		} else {
			hr.stop = true
		}
		return
	}
}

func (hr *householdRows) fail(col int, format string, args ...any) {
	hr.failField(householdColumns[col], format, args...)
}

func (hr *householdRows) failField(field, format string, args ...any) {
	hr.bad = true
	if !hr.ps.add(Problem{Line: hr.line, Field: field, Msg: fmt.Sprintf(format, args...)}) {
		hr.stop = true
	}
}

// get returns the trimmed value of a column, "" when the file lacks it.
func (hr *householdRows) get(col int) string {
	p := hr.pos[col]
	if p < 0 {
		return ""
	}
	return strings.TrimSpace(hr.rec[p])
}

func (hr *householdRows) intern(s string) string {
	if v, ok := hr.strs[s]; ok {
		return v
	}
	v := strings.Clone(s)
	hr.strs[v] = v
	return v
}

func (hr *householdRows) parseRow(rec []string, line int) (Household, bool) {
	hr.rec, hr.line, hr.bad = rec, line, false
	var h Household
	h.Line = line
	hr.checkText()
	if hr.bad {
		return h, false
	}
	for i := hr.named; i < len(rec); i++ {
		if strings.TrimSpace(rec[i]) != "" {
			hr.failField(fmt.Sprintf("column %d", i+1), "%q is in a column without a name in the header; name the column or delete the value", rec[i])
			return h, false
		}
	}

	if id := hr.get(colHouseholdID); id == "" {
		hr.fail(colHouseholdID, "is empty")
	} else {
		h.ID = strings.Clone(id)
	}
	h.Round = hr.round(hr.get(colRound))
	h.Loc = hr.lonLat()
	if n, ok := hr.integer(colMembers, true); ok {
		if n < 1 {
			hr.fail(colMembers, "must be at least 1, got %d", n)
		} else {
			h.Members = n
		}
	}
	h.Status = hr.status()

	h.VillageCode = hr.villageCode()
	if v := hr.get(colHeadName); v != "" {
		h.HeadName = strings.Clone(v)
	}
	h.Occupation = hr.enum(colOccupation, func(s string) bool { _, ok := Occupations[s]; return ok }, hr.occupations)
	if n, ok := hr.integer(colWelfareDecile, false); ok {
		if n < 1 || n > 10 {
			hr.fail(colWelfareDecile, "must be between 1 and 10, got %d", n)
		} else {
			h.WelfareDecile = n
		}
	}
	h.Causes = hr.list(colCauses, hr.causes, func(s string) bool { _, ok := Causes[s]; return ok }, hr.causeKeys)
	h.HouseUninhabitable = hr.flag(colHouseUninhabitable)
	h.HouseRepaired = hr.flag(colHouseRepaired)
	h.Latrine = hr.latrine()
	h.WaterSource = hr.enum(colWaterSource, func(s string) bool { _, ok := WaterSources[s]; return ok }, hr.waterSources)
	h.Electricity = hr.flag(colElectricity)

	h.ChronicIll, h.ChronicIllTreated = hr.partOf(colChronicIll, colChronicIllTreated)
	h.Disabled, h.DisabledAssisted = hr.partOf(colDisabled, colDisabledAssisted)
	h.ChildrenSchoolAge, h.ChildrenOutOfSchool = hr.partOf(colChildrenSchoolAge, colChildrenOutOfSchool)
	h.HealthKm = hr.healthKm()
	h.Programs = hr.list(colPrograms, hr.programs, func(s string) bool { return slices.Contains(Programs, s) }, Programs)

	if h.ID != "" && h.Round != "" {
		k := householdKey{h.ID, h.Round}
		if first, dup := hr.seen[k]; dup {
			hr.failField("household_id/round", "household %s appears twice in round %s: first on line %d", h.ID, h.Round, first)
		} else {
			hr.seen[k] = line
		}
	}
	return h, !hr.bad
}

// villageCode reads an optional village code, giving dots to one written
// without them; each distinct value is checked once.
func (hr *householdRows) villageCode() string {
	s := hr.get(colVillageCode)
	if s == "" {
		return ""
	}
	if c, ok := hr.codes[s]; ok {
		return c
	}
	c, ok := NormalizeVillageCode(s)
	if !ok {
		hr.fail(colVillageCode, "%s", villageCodeFault(s))
		return ""
	}
	c = hr.intern(c)
	hr.codes[strings.Clone(s)] = c
	return c
}

func (hr *householdRows) round(s string) Round {
	if r, ok := hr.rounds[s]; ok {
		return r
	}
	if s == "" {
		hr.fail(colRound, "is empty")
		return ""
	}
	r, err := ParseRound(s)
	if err != nil {
		hr.fail(colRound, "%v", err)
		return ""
	}
	r = Round(strings.Clone(string(r)))
	hr.rounds[string(r)] = r
	return r
}

// number parses a float column, explaining the usual spreadsheet mistakes.
func (hr *householdRows) number(col int) (float64, bool) {
	s := hr.get(col)
	if s == "" {
		hr.fail(col, "is empty")
		return 0, false
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil && hr.decimalComma && strings.Count(s, ",") == 1 && !strings.Contains(s, ".") {
		// Excel in an Indonesian or European locale writes "-6,9123" in a
		// file it separates with semicolons: there the comma is unambiguous.
		v, err = strconv.ParseFloat(strings.Replace(s, ",", ".", 1), 64)
	}
	if err != nil {
		if strings.Count(s, ",") == 1 {
			if _, err2 := strconv.ParseFloat(strings.Replace(s, ",", ".", 1), 64); err2 == nil {
				hr.fail(col, "%q is not a number: use a decimal point, not a comma", s)
				return 0, false
			}
		}
		hr.fail(col, "%q is not a number", s)
		return 0, false
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		hr.fail(col, "%q is not a finite number", s)
		return 0, false
	}
	return v, true
}

// lonLat parses and checks the location. A pair is "swapped" when it is not a
// valid lon/lat but would be one the other way round: lat outside [-90,90]
// while both values are valid the other way (lon within [-90,90], lat within
// [-180,180]). Every such pair is caught by that rule, including lat,lon
// pairs in Indonesia (lon 94..142 put in lat is always above 90), which the
// message then says explicitly.
func (hr *householdRows) lonLat() orb.Point {
	lon, okLon := hr.number(colLon)
	lat, okLat := hr.number(colLat)
	if !okLon || !okLat {
		return orb.Point{}
	}
	lonS, latS := hr.get(colLon), hr.get(colLat)
	switch {
	case (lat < -90 || lat > 90) && lon >= -90 && lon <= 90 && lat >= -180 && lat <= 180:
		hint := ""
		if lat >= indonesiaMinLon && lat <= indonesiaMaxLon && lon >= indonesiaMinLat && lon <= indonesiaMaxLat {
			hint = " (read the other way it lies in Indonesia)"
		}
		hr.failField("lon/lat", "(%s, %s) looks swapped: lat must be in [-90,90] and this pair reads as lat,lon%s; swap the two columns", lonS, latS, hint)
	case lon < -180 || lon > 180:
		hr.fail(colLon, "%s is out of range: lon must be in [-180,180] (WGS84 degrees, not projected metres)", lonS)
	case lat < -90 || lat > 90:
		hr.fail(colLat, "%s is out of range: lat must be in [-90,90] (WGS84 degrees, not projected metres)", latS)
	case lon == 0 && lat == 0:
		hr.failField("lon/lat", "(0, 0) is not a location: a GPS fix was probably missing")
	default:
		return orb.Point{lon, lat}
	}
	return orb.Point{}
}

// integer parses a whole number; ok is false when the value is missing or
// bad. Required columns must not be empty.
func (hr *householdRows) integer(col int, required bool) (n int, ok bool) {
	s := hr.get(col)
	if s == "" {
		if required {
			hr.fail(col, "is empty")
		}
		return 0, false
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		if f, ferr := strconv.ParseFloat(s, 64); ferr == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
			hr.fail(col, "%q is not a whole number", s)
		} else {
			hr.fail(col, "%q is not a number", s)
		}
		return 0, false
	}
	return n, true
}

// count reads a number of people: empty is 0, negative is wrong. ok is false
// only when the value was wrong.
func (hr *householdRows) count(col int) (int, bool) {
	n, ok := hr.integer(col, false)
	if !ok {
		return 0, hr.get(col) == ""
	}
	if n < 0 {
		hr.fail(col, "must not be negative, got %d", n)
		return 0, false
	}
	return n, true
}

// partOf reads a count and a part of it (ill members and those treated) and
// checks that the part does not exceed the whole. When either is unreadable
// the comparison is skipped, so one typo gives one message.
func (hr *householdRows) partOf(wholeCol, partCol int) (whole, part int) {
	whole, okW := hr.count(wholeCol)
	part, okP := hr.count(partCol)
	if okW && okP && part > whole {
		hr.fail(partCol, "%d is more than %s (%d)", part, householdColumns[wholeCol], whole)
	}
	return whole, part
}

func (hr *householdRows) healthKm() float64 {
	s := hr.get(colHealthKm)
	if s == "" {
		return -1
	}
	v, ok := hr.number(colHealthKm)
	if !ok {
		return -1
	}
	if v < 0 {
		hr.fail(colHealthKm, "must not be negative, got %s", s)
		return -1
	}
	return v
}

func (hr *householdRows) status() PovertyStatus {
	s := hr.get(colPovertyStatus)
	if s == "" {
		hr.fail(colPovertyStatus, "is empty")
		return 0
	}
	if st, ok := PovertyStatuses[s]; ok {
		return st
	}
	if st, ok := PovertyStatuses[strings.ToLower(s)]; ok {
		return st
	}
	hr.fail(colPovertyStatus, "%q is not one of extreme, poor, vulnerable, non_poor", s)
	return 0
}

func (hr *householdRows) latrine() Latrine {
	s := hr.get(colLatrine)
	if s == "" {
		return LatrineUnknown
	}
	if l, ok := Latrines[strings.ToLower(s)]; ok {
		return l
	}
	hr.fail(colLatrine, "%q is not one of own, shared, none (or empty when unknown)", s)
	return LatrineUnknown
}

// flag reads a yes/no answer in the spellings survey tools and spreadsheets
// produce, English and Indonesian; empty means not recorded.
func (hr *householdRows) flag(col int) Flag {
	s := hr.get(col)
	switch strings.ToLower(s) {
	case "":
		return FlagUnknown
	case "true", "1", "yes", "ya", "y":
		return FlagYes
	case "false", "0", "no", "tidak", "n":
		return FlagNo
	}
	hr.fail(col, "%q is not one of true, false (also 1/0, yes/no, ya/tidak; empty when unknown)", s)
	return FlagUnknown
}

// enum reads an optional value from a fixed list; the result is interned.
func (hr *householdRows) enum(col int, valid func(string) bool, allowed []string) string {
	s := hr.get(col)
	if s == "" {
		return ""
	}
	if valid(s) {
		return hr.intern(s)
	}
	if l := strings.ToLower(s); valid(l) {
		return hr.intern(l)
	}
	hr.fail(col, "%q is not one of %s", s, strings.Join(allowed, ", "))
	return ""
}

// list reads a ";"-separated list of values from a fixed list. Each distinct
// text is validated once and its slice shared by every row that has it.
func (hr *householdRows) list(col int, seen map[string][]string, valid func(string) bool, allowed []string) []string {
	s := hr.get(col)
	if s == "" {
		return nil
	}
	if l, ok := seen[s]; ok {
		return l
	}
	var out []string
	// ";" is the contract's separator; a "," cannot be part of a value, and
	// people type it in files whose fields are separated by ";".
	for _, item := range strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == ',' }) {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if !valid(item) {
			if l := strings.ToLower(item); valid(l) {
				item = l
			} else {
				hr.fail(col, "%q is not one of %s", item, strings.Join(allowed, ", "))
				return nil
			}
		}
		if slices.Contains(out, item) {
			hr.fail(col, "%q is listed twice", item)
			return nil
		}
		out = append(out, hr.intern(item))
	}
	if len(out) == 0 {
		return nil
	}
	out = out[:len(out):len(out)] // an append by a caller copies instead of writing into a shared array
	seen[strings.Clone(s)] = out
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
