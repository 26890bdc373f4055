// Package tooltest finds the command-line clients that tests check labmap
// against (GDAL, poppler, Node). A missing client skips the test loudly on
// a developer's machine and fails it in CI (CI=true), where a skipped
// client test would prove nothing; scripts/test installs them all.
package tooltest

import (
	"os"
	"os/exec"
	"testing"
)

// Require returns the path of the program name, which Debian's package
// pkg provides.
func Require(t testing.TB, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is required in CI (scripts/test installs %s)", name, pkg)
		}
		t.Skipf("SKIPPING: %s is not installed (apt-get install %s, or run scripts/test)", name, pkg)
	}
	return p
}
