package report

import (
	"math"
	"math/big"
	"strings"

	"labmap/data"
)

// The web map formats figures with Intl.NumberFormat (api/web/src/i18n.js):
// id-ID groups thousands with "." and writes decimals with ",", en-GB the
// other way round, and both round half away from zero on the exact value of
// the double. The functions here write the same strings, so that a figure in
// a report reads exactly as it does on the map.

// separators returns the thousands and decimal separators of lang.
func separators(lang string) (group, decimal string) {
	if lang == "en" {
		return ",", "."
	}
	return ".", ","
}

// formatFixed writes |x| rounded half away from zero to digits decimals,
// grouped in thousands, with the sign handled by the caller. It rounds the
// double's exact binary value, as ECMA-402 does, not a decimal shortened
// form of it.
func formatFixed(x float64, digits int, lang string) string {
	x = math.Abs(x)
	// The exact decimal expansion of a double has at most 1074 fraction
	// digits; 1100 keeps every digit, so rounding below is on the true value.
	exact := new(big.Float).SetFloat64(x).Text('f', 1100)
	intPart, frac, _ := strings.Cut(exact, ".")
	keep := frac[:digits]
	roundUp := frac[digits] >= '5'
	digitsStr := intPart + keep
	if roundUp {
		digitsStr = incrementDecimal(digitsStr)
	}
	intDigits := digitsStr[:len(digitsStr)-digits]
	fracDigits := digitsStr[len(digitsStr)-digits:]
	group, decimal := separators(lang)
	var b strings.Builder
	for i, c := range intDigits {
		if i > 0 && (len(intDigits)-i)%3 == 0 {
			b.WriteString(group)
		}
		b.WriteRune(c)
	}
	if digits > 0 {
		b.WriteString(decimal)
		b.WriteString(fracDigits)
	}
	return b.String()
}

// incrementDecimal adds one to a string of decimal digits.
func incrementDecimal(s string) string {
	b := []byte(s)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < '9' {
			b[i]++
			return string(b)
		}
		b[i] = '0'
	}
	return "1" + string(b)
}

// isZeroAt reports whether x rounds to zero at digits decimals.
func isZeroAt(x float64, digits int) bool {
	return strings.Trim(formatFixed(x, digits, "en"), "0.,") == ""
}

// FormatNumber writes a figure as the web map's formatNumber does: a ratio as
// a percentage with one decimal ("12,5%"), a count as a whole number with
// thousands grouped ("1.234"), in lang's separators.
func FormatNumber(v float64, unit data.Unit, lang string) string {
	if math.IsNaN(v) {
		return "–"
	}
	digits := 0
	if unit == data.UnitRatio {
		v *= 100
		digits = 1
	}
	s := formatFixed(v, digits, lang)
	if v < 0 && !isZeroAt(v, digits) {
		s = "-" + s
	}
	if unit == data.UnitRatio {
		s += "%"
	}
	return s
}

// Delta is the change of a figure from then to now as the web map computes
// it: percentage points for a ratio, rounded to six decimals.
func Delta(now, then float64, unit data.Unit) float64 {
	scale := 1.0
	if unit == data.UnitRatio {
		scale = 100
	}
	return math.Round((now-then)*scale*1e6) / 1e6
}

// FormatDelta writes a change as the web map's formatDelta does: a sign
// unless it is zero, percentage points for a ratio ("+2,5 poin"), whole
// numbers otherwise.
func FormatDelta(d float64, unit data.Unit, lang string) string {
	if math.IsNaN(d) {
		return "–"
	}
	digits := 0
	if unit == data.UnitRatio && d != math.Trunc(d) {
		digits = 1
	}
	s := formatFixed(d, digits, lang)
	switch {
	case isZeroAt(d, digits):
	case d > 0:
		s = "+" + s
	default:
		s = "-" + s
	}
	if unit == data.UnitRatio {
		s += " " + text(lang, "points")
	}
	return s
}

// monthName is month m (1–12) in lang.
func monthName(m int, lang string) string {
	if lang == "en" {
		return [12]string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}[m-1]
	}
	return [12]string{"Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober", "November", "Desember"}[m-1]
}

// FormatRound names a survey round by its month in words, as the web map's
// formatRound does: 2020-06-01 is "Juni 2020", or "June 2020" in English.
// A round it cannot read is returned as given.
func FormatRound(r data.Round, lang string) string {
	s := string(r)
	if len(s) < 7 || s[4] != '-' {
		return s
	}
	month := 0
	for _, c := range s[5:7] {
		if c < '0' || c > '9' {
			return s
		}
		month = month*10 + int(c-'0')
	}
	if month < 1 || month > 12 {
		return s
	}
	return monthName(month, lang) + " " + s[:4]
}
