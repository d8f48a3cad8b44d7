// Package testenv is what every test of sockrun does when the machine
// lacks something the test needs: a program it talks to (python3, lua5.1,
// nc ...), a file (LuaSocket's test files, Debian's Lua modules), an
// environment variable, or a capability of the system (a network
// namespace, enough descriptors, IPv6 loopback, zoneinfo). On a
// developer's machine such a test is skipped, saying what is missing; under
// CI (CI=true), where .ci/run installs everything, it fails instead, so a
// missing tool never turns a test into a silent pass.
//
// It is for tests only, and imports only the standard library, so that the
// tests of every package (luaapi and its sub-packages, runner, e2e) can
// import it without an import cycle.
package testenv
