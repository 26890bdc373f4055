package memory

import (
	"bufio"
	"context"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"labmap/data"
	"labmap/data/demo"
)

// peakRSSMiB reads the process's high-water resident set from /proc; it is
// what the 1.5 GiB budget is about, not the Go heap alone.
func peakRSSMiB() float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	return -1
}

// BenchmarkGenerateAndLoadFullRegency is the budget: generating the
// whole regency (300,000 households x 3 rounds) and loading it into the
// memory store, target <= 15 s and <= 1.5 GiB peak RSS on 2 cores. Run it
// alone (-bench FullRegency -benchtime 1x) so the peak RSS is its own.
func BenchmarkGenerateAndLoadFullRegency(b *testing.B) {
	for b.Loop() {
		ds, err := demo.Generate(demo.Options{Households: 300_000, Rounds: 3, Seed: 1})
		if err != nil {
			b.Fatal(err)
		}
		if err := data.CheckDataset(&ds, "demo"); err != nil {
			b.Fatal(err)
		}
		s, err := New(ds, Options{})
		if err != nil {
			b.Fatal(err)
		}
		st, _ := s.Status(context.Background())
		if st.Households != 300_000 {
			b.Fatalf("%d households, want 300000", st.Households)
		}
		runtime.KeepAlive(s)
	}
	b.ReportMetric(peakRSSMiB(), "peak-RSS-MiB")
}

// BenchmarkLoadOnly separates the store's own aggregation from generation.
func BenchmarkLoadOnly(b *testing.B) {
	ds, err := demo.Generate(demo.Options{Households: 300_000, Rounds: 3, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	if err := data.CheckDataset(&ds, "demo"); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := New(ds, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoadFullRegencyFromFiles is the `labmap serve --households ...`
// path at full size: read and validate the files written by `labmap demo`,
// join, then aggregate.
func BenchmarkLoadFullRegencyFromFiles(b *testing.B) {
	dir := b.TempDir()
	ds, err := demo.Generate(demo.Options{Households: 300_000, Rounds: 3, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	if err := demo.WriteFiles(context.Background(), ds, dir); err != nil {
		b.Fatal(err)
	}
	ds = data.Dataset{}
	runtime.GC()
	files := data.Files{
		Households: dir + "/" + demo.HouseholdsFile, Villages: dir + "/" + demo.VillagesFile,
		Zones: dir + "/" + demo.ZonesFile, Districts: dir + "/" + demo.DistrictsFile,
	}
	b.ResetTimer()
	for b.Loop() {
		loaded, err := data.LoadFiles(context.Background(), files, data.ReadOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := New(loaded, Options{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(peakRSSMiB(), "peak-RSS-MiB")
}
