package runner

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/pflag"
	"github.com/spf13/viper"
)

// configKey is a key of the configuration: its name, the flag that sets
// it, its default, and whether a SOCKRUN_* variable sets it.
type configKey struct {
	// name is the key as viper names it, lower-case and dotted
	// ("limits.max_recv"): in the config file, and as SOCKRUN_NAME (dots
	// as underscores, upper-case) in the environment.
	name string
	// section says name is a section whose keys are free (vars.port):
	// read where it is used, never warned about.
	section bool
	// env says SOCKRUN_NAME sets the key (when its flag is not given).
	env bool
	// def is the key's default (and its flag's), nil for none.
	def any
	// flag is the flag that sets the key, "" for none; usage is its help,
	// and noOpt its value when given bare (--explain is --explain=true).
	flag, usage, noOpt string
}

// configKeys are the keys of the configuration sockrun reads, each once.
// Adding one here adds its flag, its default, its variable, and keeps the
// config file's key from being warned about as unknown; loadConfig reads
// its value.
var configKeys = []configKey{
	{name: "timeout.default", env: true, def: "", flag: "timeout",
		usage: "default socket timeout in `SECONDS` (config timeout.default; unset = blocking)"},
	{name: "workers", env: true, def: "1", flag: "workers",
		usage: "run `N` VMs of the script on every core, or auto (config workers)"},
	{name: "explain", env: true, def: "true", flag: "explain", noOpt: "true",
		usage: "print a line explaining common mistakes under errors, and notes on surprising reads (config explain)"},
	{name: "report", env: true, def: "false", flag: "report", noOpt: "true",
		usage: "at the end, print what the script left: sockets never closed, unread bytes, threads running, timeouts (config report)"},
	{name: "trace", env: true, def: false, flag: "trace",
		usage: "print every socket call, thread and signal to stderr as it happens (config trace)"},
	{name: "trace_file", env: true, def: "", flag: "trace-file",
		usage: "write the trace to `FILE` instead of stderr; implies --trace (config trace_file)"},
	{name: "trace_format", env: true, def: "", flag: "trace-format",
		usage: "trace as text, jsonl, mermaid or svg (config trace_format; default from --trace-file's extension, else text)"},
	{name: "log_format", env: true, def: "text", flag: "log-format",
		usage: "write sockrun's own messages (start, stop, errors, thread tracebacks, notes) to stderr as text or json, one object a line (config log_format)"},
	{name: "live", env: true, def: "", flag: "live",
		usage: "serve a page at `ADDR` (127.0.0.1:8080; port 0 picks one) that shows the run as it happens: its sequence diagram, sockets, threads and errors (config live)"},
	{name: "metrics", env: true, def: "", flag: "metrics",
		usage: "serve Prometheus metrics at `ADDR`/metrics and a health check at /healthz (127.0.0.1:9100; :9100 for every interface; port 0 picks one) (config metrics)"},
	{name: "limits.max_memory", env: true, def: "auto", flag: "max-memory",
		usage: "end the run when its resident memory passes `SIZE` (512MiB, 2GiB; auto: half the machine's memory; none) (config limits.max_memory)"},
	{name: "limits.max_runtime", env: true, def: "none", flag: "max-runtime",
		usage: "end the run after `SECONDS` or a duration (1h) (config limits.max_runtime)"},
	{name: "limits.max_connections", env: true, def: strconv.Itoa(defaultMaxConnections), flag: "max-connections",
		usage: "the most connections accept keeps open at once in a VM, `N` (0: no limit); past it accept waits for one to close (config limits.max_connections)"},
	{name: "limits.max_recv", env: true, def: "4MiB", flag: "max-recv",
		usage: "the most bytes one recv, recvfrom or io.read returns, `SIZE` (64 bytes to 256MiB; larger requests are clamped) (config limits.max_recv)"},
	{name: "limits.max_shared", env: true, def: "auto", flag: "max-shared",
		usage: "the most bytes the in-process shared store holds, `SIZE` (auto: a quarter of limits.max_memory; none); past it a write raises a shared.StoreError ENOSPC (config limits.max_shared)"},
	{name: "limits.max_threads", env: true, def: strconv.Itoa(defaultMaxThreads), flag: "max-threads",
		usage: "the most script threads one VM runs at once, `N` (0: no limit) (config limits.max_threads)"},
	{name: "shared.url", env: true, def: "", flag: "shared-url",
		usage: "keep the shared module's store and messages in the Redis at `URL` (redis://host:port/db, rediss:// for TLS, unix:///path), common to every sockrun on it; default: in this process (config shared.url)"},
	// LuaSocket built with LUASOCKET_DEBUG, for LuaSocket's own test
	// programs: no flag.
	{name: "luasocket.debug", env: true, def: "false"},
	{name: "path"},
	{name: "vars", section: true},
	// Limits of other versions are not warned about.
	{name: "limits", section: true},
}

// addConfigFlags defines the flag of every key that has one.
func addConfigFlags(fs *pflag.FlagSet) {
	for _, k := range configKeys {
		if k.flag == "" {
			continue
		}
		switch def := k.def.(type) {
		case bool:
			fs.Bool(k.flag, def, k.usage)
		case string:
			fs.String(k.flag, def, k.usage)
		}
		if k.noOpt != "" {
			fs.Lookup(k.flag).NoOptDefVal = k.noOpt
		}
	}
}

// isKnownConfigKey reports whether sockrun reads key (lower-cased, dotted,
// as viper names it).
func isKnownConfigKey(key string) bool {
	return slices.ContainsFunc(configKeys, func(k configKey) bool {
		return key == k.name || k.section && strings.HasPrefix(key, k.name+".")
	})
}

// warnUnknownKeys warns about each key of the config file that sockrun
// does not read (a typo, or a key of another version), naming the key and
// the file, and carries on.
func warnUnknownKeys(env *Env, v *viper.Viper) {
	file := v.ConfigFileUsed()
	if file == "" {
		return
	}
	if rel, err := filepath.Rel(env.Dir, file); err == nil && !strings.HasPrefix(rel, "..") {
		file = rel
	}
	keys := v.AllKeys()
	slices.Sort(keys)
	for _, key := range keys {
		if v.InConfig(key) && !isKnownConfigKey(key) {
			fmt.Fprintf(env.Stderr, "sockrun: warning: unknown key %q in %s\n", key, file)
		}
	}
}

// configPath reads the path key: a ;-separated string as package.path, or
// a list of entries.
func configPath(val any) string {
	switch p := val.(type) {
	case string:
		return p
	case []any:
		parts := make([]string, 0, len(p))
		for _, e := range p {
			parts = append(parts, fmt.Sprint(e))
		}
		return strings.Join(parts, ";")
	}
	return ""
}
