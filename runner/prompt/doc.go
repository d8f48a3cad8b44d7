// Package prompt is sockrun's interactive prompt: statements read with a
// line editor (liner on a terminal, plain lines otherwise) and run one at
// a time on a VM's main thread, their values shown readably, Ctrl-C
// interrupting the statement that runs (its main thread only), Tab completing
// names from the live values, Ctrl-D ending the session.
//
// It may import runner/host (the VM it drives), runner/repr (how it shows
// values), luaapi and its packages, gopher-lua and liner; never the
// command line (runner, cobra, viper) nor the trace (runner/trace).
package prompt
