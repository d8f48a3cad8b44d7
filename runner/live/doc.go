// Package live is --live: a web page that shows a run as it happens. The
// run's trace (runner/trace, the call path's observer, the same events as
// --trace jsonl) tells it of each event; it keeps the view's state (the
// sequence diagram as runner/trace lays it out, the script's sockets, its
// threads and what each waits on, the errors with their explanations,
// the bytes of the latest arrows) and streams each change to the pages
// watching, as server-sent events over the standard library's net/http.
// The page (page/: HTML, CSS and JavaScript, no build step, nothing from
// elsewhere) is embedded in the binary.
//
// A run never waits for a page: the trace hands each event over with the
// interpreter lock held, and the view only updates its state and appends
// the change to a bounded ring, under a lock of its own that no network
// write is made under. Each page is written by a goroutine of its own;
// one that falls behind the ring is sent the state as it is now and told
// how many events it skipped.
//
// It may import runner/trace (the events) and the standard library;
// never the command line (runner) nor the VM host (runner/host): the
// command line starts it, hands it to the trace, and tells it how the run
// ended.
package live
