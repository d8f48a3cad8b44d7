//go:build cgo && linux

package host

// With cgo, Go starts its threads with pthread_create, and each new
// thread's first call into the C library's allocator (runtime/cgo frees
// the thread's start record on the new thread) makes it an arena of its
// own: 64 MiB of address space reserved, up to eight per CPU. That made
// the address space a run takes grow by 72 MiB with every thread, the
// stack included, at moments nothing in sockrun chooses; under an
// address-space limit (ulimit -v) a thread started between the memory
// budget's check and the allocation it allowed left Go unable to map its
// heap, and Go's "fatal error: out of memory" ended the run. The C
// allocator serves sockrun almost nothing (thread start records, the C
// resolver when Go's is not used), so one arena costs no contention worth
// a thought. It is set in a constructor, which runs as the program is
// loaded, before the Go runtime has started a thread.

/*
#include <malloc.h>

__attribute__((constructor)) static void sockrun_one_malloc_arena(void) {
#ifdef M_ARENA_MAX
	mallopt(M_ARENA_MAX, 1);
#endif
}
*/
import "C"
