// Package api is what every script module stands on: the VM (the one
// narrow interface a module instance reaches the host through: the
// interpreter lock hand-off, the run's context, the call path's observer,
// notes and the report), the registry of script-facing modules with what
// each function means (meaning.go: what it does, where its data is, its
// parameters' and results' kinds, the families of constants), the call
// path every registered function runs through, the errors scripts
// see (OSError and its errno wording, how a Go error is raised) with their
// explanations, and the helpers that read arguments.
//
// A module is a type with an instance per VM (Module.New), registered
// from its own package's init with Register; its functions are Fn (no
// state) or Method (of its instance).
//
// It may import the socket core (luaapi/core), the shared store
// (luaapi/store), the script metrics (luaapi/metricset), the Lua 5.1
// layer (luaapi/lua51) and gopher-lua; never a face, a module package,
// luaapi itself or the runner.
package api
