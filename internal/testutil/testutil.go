// Package testutil holds the helpers that the cell, bptt and rtrl tests share.
package testutil

import (
	"fmt"
	"testing"

	"github.com/chronograd/chronograd/cell"
	"github.com/chronograd/chronograd/kernels"
)

// ForEachTier runs f as a subtest under every kernel tier this CPU and build support,
// restoring the active tier afterwards.
func ForEachTier(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	for _, tier := range kernels.Tiers() {
		t.Run("tier="+tier.String(), func(t *testing.T) {
			restore, err := kernels.UseTier(tier)
			if err != nil {
				t.Fatal(err)
			}
			defer restore()
			f(t)
		})
	}
}

// ConfigName names a cell configuration for a subtest: kind and leak.
func ConfigName(cfg cell.Config) string {
	a := cfg.Alpha
	if a == 0 {
		a = 1
	}
	return fmt.Sprintf("%v/alpha=%g", cfg.Kind, a)
}
