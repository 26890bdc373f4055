package main

import (
	"flag"

	"labmap/data"
)

// inputFiles holds the flags that name input files and how to read them,
// shared by every command that loads a dataset.
type inputFiles struct {
	data.Files
	opt data.ReadOptions
	// regionName names the region the files cover (Kota Pekalongan,
	// Jawa Tengah); without it the region goes by its code.
	regionName, regionNameEN string
}

// region is the Region the flags give: its code is derived from the
// village codes at load time, so only names and source come from here.
func (in *inputFiles) region() data.Region {
	en := in.regionNameEN
	if en == "" {
		en = in.regionName
	}
	return data.Region{Name: data.Text{ID: in.regionName, EN: en}}
}

func inputFlags(fs *flag.FlagSet) *inputFiles {
	in := &inputFiles{}
	fs.StringVar(&in.Households, "households", "", "households CSV (one row per household per round)")
	fs.StringVar(&in.Villages, "villages", "", "villages GeoJSON (Polygon/MultiPolygon with code and name)")
	fs.StringVar(&in.Zones, "zones", "", "lab zones GeoJSON (id, name, kind, polygon or village list)")
	fs.StringVar(&in.Districts, "districts", "", "districts (kecamatan) GeoJSON; derived from village codes when absent")
	fs.StringVar(&in.opt.VillageCodeField, "village-code-field", "code", "property of the villages file that holds the village code")
	fs.StringVar(&in.opt.VillageNameField, "village-name-field", "name", "property of the villages file that holds the village name")
	fs.BoolVar(&in.opt.IgnoreUnknown, "ignore-unknown", false, "ignore unknown columns in the households file instead of rejecting it")
	fs.Func("encoding", "text encoding of the households CSV: utf-8, also read when empty (UTF-16 is recognised by its byte order mark), or windows-1252, as Excel saves \"CSV\" on Windows", func(s string) (err error) {
		in.opt.Encoding, err = data.ParseEncoding(s)
		return err
	})
	fs.StringVar(&in.regionName, "region-name", "", "name of the region the files cover, shown on the map and in the API (e.g. \"Kota Pekalongan\"); default: its code")
	fs.StringVar(&in.regionNameEN, "region-name-en", "", "the region's name in English; default: --region-name")
	return in
}
