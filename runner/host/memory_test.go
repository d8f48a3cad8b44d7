package host

import (
	"strings"
	"testing"
)

// TestSoftMemoryLimit: the runtime's soft limit is below the limit by an
// eighth up to 32 MiB, and above it by the GC floor when there is one.
func TestSoftMemoryLimit(t *testing.T) {
	const mib = 1 << 20
	for _, c := range []struct {
		limit int64
		floor bool
		want  int64
	}{
		{128 * mib, false, 112 * mib},
		{1024 * mib, false, 992 * mib},
		{128 * mib, true, 112*mib + gcFloorSize},
	} {
		if got := softMemoryLimit(c.limit, c.floor); got != c.want {
			t.Errorf("softMemoryLimit(%d MiB, %v) = %d MiB, want %d MiB", c.limit/mib, c.floor, got/mib, c.want/mib)
		}
	}
}

// TestMemoryBudget: a string the heap has room for under the limit may
// be made; one it has not is refused with an error naming the limit and
// why it is what it is, after the garbage was collected.
func TestMemoryBudget(t *testing.T) {
	b := &memoryBudget{limit: heapInUse() + 64<<20, note: "auto: half of the machine's memory"}
	collected := 0
	collect := func() { collected++; collectGarbage() }
	if err := b.reserve(8<<20, collect); err != nil {
		t.Errorf("8 MiB under a limit 64 MiB above the heap: %v", err)
	}
	err := b.reserve(1<<30, collect)
	if err == nil || collected != 1 ||
		!strings.Contains(err.Error(), "not enough memory for a string of 1 GiB: limits.max_memory is ") ||
		!strings.Contains(err.Error(), "(auto: half of the machine's memory)") {
		t.Errorf("1 GiB: %v after %d collections", err, collected)
	}
	none := &memoryBudget{}
	if err := none.reserve(1<<40, collect); err != nil {
		t.Errorf("no limit: %v", err)
	}
}
