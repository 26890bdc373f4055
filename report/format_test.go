package report

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"testing"

	"labmap/data"
	"labmap/internal/tooltest"
)

// TestFormatLikeTheWebMap formats figures, changes and rounds in Go and with
// the web map's own functions (api/web/src/i18n.js, in Node), and wants the
// same strings: ties, grouping, signs and both languages included.
func TestFormatLikeTheWebMap(t *testing.T) {
	node := tooltest.Require(t, "node", "nodejs")
	type tcase struct {
		Kind  string  `json:"kind"` // number, delta or round
		V     float64 `json:"v"`
		Unit  string  `json:"unit"`
		Lang  string  `json:"lang"`
		Round string  `json:"round"`
	}
	var cases []tcase
	for _, lang := range []string{"id", "en"} {
		for _, v := range []float64{0, 0.03096, 0.1225, 0.12345, 0.0005, 0.9995, 1, 0.571429, 0.666667, 0.001171} {
			cases = append(cases, tcase{Kind: "number", V: v, Unit: "ratio", Lang: lang})
		}
		for _, v := range []float64{0, 7, 999, 1000, 1234, 30000, 1234567} {
			cases = append(cases, tcase{Kind: "number", V: v, Unit: "households", Lang: lang})
		}
		for _, d := range []float64{0, -46, 46, 1234, -1234} {
			cases = append(cases, tcase{Kind: "delta", V: d, Unit: "households", Lang: lang})
		}
		for _, pair := range [][2]float64{{0.03096, 0.078}, {0.771, 0}, {0.995, 0.976}, {0.5, 0.25}, {0.0012, 0.0008}, {0.125, 0.1}, {0.33335, 0.1}} {
			cases = append(cases, tcase{Kind: "delta", V: Delta(pair[0], pair[1], data.UnitRatio), Unit: "ratio", Lang: lang})
		}
		for _, r := range []string{"2017-12-01", "2019-06-01", "2020-06-01", "2020-13-01", "x"} {
			cases = append(cases, tcase{Kind: "round", Round: r, Lang: lang})
		}
	}
	in, err := json.Marshal(cases)
	if err != nil {
		t.Fatal(err)
	}
	src, err := filepath.Abs("../api/web/src/i18n.js")
	if err != nil {
		t.Fatal(err)
	}
	script := `import { formatNumber, formatDelta, formatRound } from "file://` + src + `";
const cases = JSON.parse(process.argv[1]);
console.log(JSON.stringify(cases.map((c) => c.kind === "number" ? formatNumber(c.v, c.unit, c.lang)
  : c.kind === "delta" ? formatDelta(c.v, c.unit, c.lang) : formatRound(c.round, c.lang))));`
	out, err := exec.Command(node, "--input-type=module", "-e", script, string(in)).Output()
	if err != nil {
		t.Fatalf("node: %v", err)
	}
	var want []string
	if err := json.Unmarshal(out, &want); err != nil {
		t.Fatalf("node answered %s: %v", out, err)
	}
	for i, c := range cases {
		var got string
		switch c.Kind {
		case "number":
			got = FormatNumber(c.V, data.Unit(c.Unit), c.Lang)
		case "delta":
			got = FormatDelta(c.V, data.Unit(c.Unit), c.Lang)
		default:
			got = FormatRound(data.Round(c.Round), c.Lang)
		}
		if got != want[i] {
			t.Errorf("%s %v %s %s %s: Go %q, web map %q", c.Kind, c.V, c.Unit, c.Lang, c.Round, got, want[i])
		}
	}
}
