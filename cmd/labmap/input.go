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
	return in
}
