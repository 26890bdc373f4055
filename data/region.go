package data

import "strings"

// RegionOf completes the region a dataset covers, so that both stores name
// the top level of aggregation the same way. What r gives wins. An empty
// code is the longest common prefix of the village codes that ends at a dot,
// and at most province.regency ("33.26" for one regency, "33" for several
// regencies of a province, "" for villages of several provinces): the level
// above the kecamatan is a regency or a province even when a file covers
// fewer villages. An empty name is "Wilayah <code>" / "Region <code>"; a name
// given in one language only stands for both, as a proper name does.
func RegionOf(r Region, villages []Village) Region {
	if r.Code == "" {
		r.Code = commonCodePrefix(villages)
	}
	switch {
	case r.Name.ID == "" && r.Name.EN == "" && r.Code != "" && !strings.Contains(r.Code, "."):
		r.Name = ProvinceName(r.Code)
	case r.Name.ID == "" && r.Name.EN == "":
		r.Name = Text{ID: strings.TrimSpace("Wilayah " + r.Code), EN: strings.TrimSpace("Region " + r.Code)}
	case r.Name.ID == "":
		r.Name.ID = r.Name.EN
	case r.Name.EN == "":
		r.Name.EN = r.Name.ID
	}
	return r
}

// commonCodePrefix is the longest prefix shared by every village code that
// ends at a dot boundary, of at most two parts.
func commonCodePrefix(villages []Village) string {
	if len(villages) == 0 {
		return ""
	}
	prefix := regionPart(villages[0].Code)
	for _, v := range villages[1:] {
		code := regionPart(v.Code)
		for prefix != "" && code != prefix && !strings.HasPrefix(code, prefix+".") {
			cut := strings.LastIndexByte(prefix, '.')
			if cut < 0 {
				prefix = ""
				break
			}
			prefix = prefix[:cut]
		}
	}
	return prefix
}

// regionPart is the province.regency part of a village code.
func regionPart(code string) string {
	if first := strings.IndexByte(code, '.'); first >= 0 {
		if second := strings.IndexByte(code[first+1:], '.'); second >= 0 {
			return code[:first+1+second]
		}
	}
	return code
}
