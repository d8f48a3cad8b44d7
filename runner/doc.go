// Package runner is sockrun's command line: the cobra commands (a run,
// the prompt, check, doc, lsp-defs, version), the configuration (one viper
// instance: flags, then SOCKRUN_* variables, then the config file, then
// defaults), and a run of a script in its workers: their VMs, the signals
// and limits that end them, their errors and the exit code. main.go hands
// it the process (Env) and exits with what Main returns.
//
// Below it, each in its own package:
//
//   - runner/host: a VM's life (the Lua state and modules, the interpreter
//     lock, threads, limits, the script's chunks, errors, exit codes);
//   - runner/trace: --trace, its events and renderers (text, JSON lines,
//     Mermaid, SVG);
//   - runner/live: --live, the page that shows a run as it happens, fed by
//     runner/trace;
//   - runner/prompt: the interactive prompt and its line editor;
//   - runner/repr: Lua values printed readably, for the prompt and the trace.
//
// runner may import all of them, luaapi, cobra and viper; none of them
// imports runner, and only runner imports cobra or viper
// (TestLayers checks it).
package runner
