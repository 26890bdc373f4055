package data

import (
	"fmt"
	"strings"
)

// NormalizeVillageCode returns a Kemendagri village code in its dotted form,
// PP.RR.DD.VVVV (33.26.14.2009). The same ten digits without dots
// (3326142009), as spreadsheets and shapefiles hold them, are given their
// dots; anything else is not a village code and ok is false.
func NormalizeVillageCode(s string) (code string, ok bool) {
	return normalizeCode(s, 4)
}

// NormalizeDistrictCode is NormalizeVillageCode for kecamatan codes,
// PP.RR.DD (33.26.14, or 332614).
func NormalizeDistrictCode(s string) (code string, ok bool) {
	return normalizeCode(s, 3)
}

// normalizeCode reads a code of the given number of parts, two digits each
// but a village's fourth, which has four, with or without its dots.
func normalizeCode(s string, parts int) (string, bool) {
	all := [...]int{2, 2, 2, 4}
	widths := all[:parts]
	digits := 0
	for _, w := range widths {
		digits += w
	}
	dotted := digits + parts - 1
	switch len(s) {
	case dotted:
		i := 0
		for k, w := range widths {
			if k > 0 {
				if s[i] != '.' {
					return "", false
				}
				i++
			}
			if !allDigits(s[i : i+w]) {
				return "", false
			}
			i += w
		}
		return s, true
	case digits:
		if !allDigits(s) {
			return "", false
		}
		var b strings.Builder
		b.Grow(dotted)
		i := 0
		for k, w := range widths {
			if k > 0 {
				b.WriteByte('.')
			}
			b.WriteString(s[i : i+w])
			i += w
		}
		return b.String(), true
	}
	return "", false
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// villageCodeFault explains why s is not a village code.
func villageCodeFault(s string) string {
	return codeFault(s, "village", "PP.RR.DD.VVVV", "33.26.14.2009", "3326142009")
}

// districtCodeFault explains why s is not a kecamatan code.
func districtCodeFault(s string) string {
	return codeFault(s, "kecamatan", "PP.RR.DD", "33.26.14", "332614")
}

func codeFault(s, what, form, example, bare string) string {
	msg := fmt.Sprintf("%q is not a Kemendagri %s code: expected %s in digits, as %s (or %s without dots)", s, what, form, example, bare)
	if strings.ContainsAny(s, "eE") && strings.Contains(s, "+") {
		msg += "; a spreadsheet has turned the code into a rounded number: format the column as text and enter the codes again"
	}
	return msg
}
