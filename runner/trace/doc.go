// Package trace is --trace: it observes a run's socket-level calls (as the
// call path's observer), its threads, the interpreter lock's hand-offs and
// its signals, and renders them as text or JSON lines as they happen, or
// as a Mermaid or SVG sequence diagram when the run ends.
//
// It may import luaapi (the events it observes), runner/repr (how it
// prints values) and gopher-lua; never the command line (runner) nor the
// VM host (runner/host): the host tells it of the lock through an
// interface of its own, and the command line wires it to each VM.
package trace
