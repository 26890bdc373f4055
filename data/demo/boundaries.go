package demo

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"labmap/data"
)

// BoundariesFile names the embedded boundary file in messages and is the
// name it is committed under.
const BoundariesFile = "pekalongan-villages.geojson.gz"

// villagesGz is the real village boundaries of Kabupaten Pekalongan,
// converted by scripts/wilayah-boundaries from cahyadsn/wilayah_boundaries
// (MIT). The geometry is the source's, overlaps and gaps between
// neighbours included: the import's coverage cleaning handles them, as it
// does for any file.
//
//go:embed pekalongan-villages.geojson.gz
var villagesGz []byte

// boundaries is what the embedded file gives: the villages as the normal
// reader reads them, and the attribution of its "labmap:source" member.
type boundaries struct {
	villages []data.Village
	source   string
}

// readBoundaries reads the embedded file with data.ReadVillages, the reader
// every villages file goes through, so the demo and an import of the same
// file get the same villages.
func readBoundaries() (boundaries, error) {
	zr, err := gzip.NewReader(bytes.NewReader(villagesGz))
	if err != nil {
		return boundaries{}, fmt.Errorf("demo: %s: %w", BoundariesFile, err)
	}
	source, err := readSource(zr)
	if err != nil {
		return boundaries{}, fmt.Errorf("demo: %s: %w", BoundariesFile, err)
	}
	if err := zr.Reset(bytes.NewReader(villagesGz)); err != nil {
		return boundaries{}, fmt.Errorf("demo: %s: %w", BoundariesFile, err)
	}
	vs, err := data.ReadVillages(zr, BoundariesFile, data.ReadOptions{})
	if err != nil {
		return boundaries{}, fmt.Errorf("demo: %w", err)
	}
	return boundaries{villages: vs, source: source}, nil
}

// sourceMember is the "labmap:source" foreign member that
// scripts/wilayah-boundaries writes at the top of the FeatureCollection.
type sourceMember struct {
	Source  string `json:"source"`
	License string `json:"license"`
	Basis   string `json:"basis"`
}

// readSource returns the attribution line of the file's "labmap:source"
// member: where the boundaries come from, under which licence, on what
// legal basis. The member precedes the features, so only the head of the
// file is decoded.
func readSource(r io.Reader) (string, error) {
	dec := json.NewDecoder(r)
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return "", errors.New("not a GeoJSON object")
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return "", err
		}
		key, _ := tok.(string)
		if key != "labmap:source" {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return "", err
			}
			continue
		}
		var m sourceMember
		if err := dec.Decode(&m); err != nil {
			return "", fmt.Errorf("labmap:source: %w", err)
		}
		if m.Source == "" {
			return "", errors.New(`labmap:source: "source" is empty`)
		}
		var notes []string
		for _, s := range []string{m.License, m.Basis} {
			if s != "" {
				notes = append(notes, s)
			}
		}
		if len(notes) == 0 {
			return m.Source, nil
		}
		return m.Source + " (" + strings.Join(notes, "; ") + ")", nil
	}
	return "", errors.New(`no "labmap:source" member: the file must say where its boundaries come from`)
}
