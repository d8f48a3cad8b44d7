package runner

import (
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/sockrun/sockrun/luaapi"
	"github.com/sockrun/sockrun/runner/host"
	"github.com/sockrun/sockrun/runner/live"
	"github.com/sockrun/sockrun/runner/metrics"
	"github.com/sockrun/sockrun/runner/trace"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"
	"golang.org/x/sys/unix"
)

// Config is sockrun's configuration after every source is applied: flags,
// then SOCKRUN_* environment variables, then the config file, then defaults.
type Config struct {
	// Timeout is the default socket timeout (timeout.default, seconds);
	// negative means blocking.
	Timeout time.Duration
	// Workers is how many VMs run the script (workers; "auto" is one per CPU).
	Workers int
	// Vars are the script parameters: vars: in the config file, then
	// SOCKRUN_VARS_KEY, then --var key=value. Names are lower-cased
	// whichever source set them (viper lower-cases the file's keys), so
	// that --var PORT=1 and SOCKRUN_VARS_PORT name the same var and the
	// flag wins.
	Vars map[string]string
	// Report prints what the script left at the end of the run (report;
	// --report): sockets never closed, unread bytes, threads running ...
	Report bool
	// Explain prints the explanation of an error under it, and notes on
	// surprising reads (explain; --explain=false turns them off).
	Explain bool
	// Path is the config's path: package.path entries searched after the
	// script's directory and before LUA_PATH.
	Path string
	// LuaSocketDebug makes the LuaSocket face behave as LuaSocket built
	// with LUASOCKET_DEBUG: socket._DEBUG is true and receive and send
	// return the time they took as a last value (luasocket.debug; no flag,
	// for LuaSocket's own test programs).
	LuaSocketDebug bool
	// SharedURL is shared.url: the Redis that holds the shared module's
	// store and carries its messages; "" keeps them in the process.
	SharedURL string
	// MaxShared is limits.max_shared: the most bytes the in-process
	// shared store holds (0: no bound); a Redis has its own maxmemory.
	MaxShared int64
	// File is the config file that was read, if any.
	File string
	// Trace is --trace's: on, where to, in what format.
	Trace trace.Config
	// LogFormat is how sockrun's own messages reach standard error
	// (log_format; --log-format): text or JSON lines.
	LogFormat luaapi.LogFormat
	// Live is the address the live view listens on (live; --live), ""
	// for none.
	Live string
	// Metrics is the address the metrics are served at (metrics;
	// --metrics), "" for none.
	Metrics string
	// Limits are the limits: section.
	Limits host.Limits
	// Profiles are --cpuprofile's and --memprofile's files (flags only).
	Profiles host.Profiles
}

// loadConfig reads the configuration: one viper instance, with flags bound.
func loadConfig(env *Env, flags *pflag.FlagSet) (*Config, error) {
	v := viper.New()
	for _, k := range configKeys {
		if k.def != nil {
			v.SetDefault(k.name, k.def)
		}
		if f := flags.Lookup(k.flag); k.flag != "" && f != nil {
			if err := v.BindPFlag(k.name, f); err != nil {
				return nil, err
			}
		}
	}
	file, _ := flags.GetString("config")
	if file != "" {
		if !filepath.IsAbs(file) {
			file = filepath.Join(env.Dir, file)
		}
		v.SetConfigFile(file)
	} else {
		v.SetConfigName("sockrun")
		v.AddConfigPath(env.Dir)
	}
	if err := v.ReadInConfig(); err != nil {
		var notFound viper.ConfigFileNotFoundError
		if file != "" || !errors.As(err, &notFound) {
			return nil, fmt.Errorf("config: %w", err)
		}
	}
	warnUnknownKeys(env, v)
	// The environment sits between flags and the file: a variable applies
	// unless its flag was given.
	environ := env.EnvironMap()
	for _, k := range configKeys {
		name := "SOCKRUN_" + strings.ToUpper(strings.ReplaceAll(k.name, ".", "_"))
		if val, ok := environ[name]; ok && k.env && (k.flag == "" || !flags.Changed(k.flag)) {
			v.Set(k.name, val)
		}
	}

	cfg := &Config{File: v.ConfigFileUsed(), Vars: map[string]string{}}
	var err error
	if cfg.Timeout, err = parseTimeout(v.GetString("timeout.default")); err != nil {
		return nil, err
	}
	if cfg.Workers, err = parseWorkers(v.GetString("workers")); err != nil {
		return nil, err
	}
	if cfg.Explain, err = parseBool(v.GetString("explain"), "explain"); err != nil {
		return nil, err
	}
	if cfg.Report, err = parseBool(v.GetString("report"), "report"); err != nil {
		return nil, err
	}
	if cfg.LuaSocketDebug, err = parseBool(v.GetString("luasocket.debug"), "luasocket.debug"); err != nil {
		return nil, err
	}
	if cfg.LogFormat, err = luaapi.ParseLogFormat(v.GetString("log_format")); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	tc := trace.Config{On: v.GetBool("trace"), File: v.GetString("trace_file"), Format: v.GetString("trace_format")}
	if cfg.Trace, err = tc.Resolve(); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	if s := strings.TrimSpace(v.GetString("live")); s != "" {
		if cfg.Live, err = live.ParseAddr(s); err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
	}
	if s := strings.TrimSpace(v.GetString("metrics")); s != "" {
		if cfg.Metrics, err = metrics.ParseAddr(s); err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
	}
	cfg.Path = configPath(v.Get("path"))
	cfg.SharedURL = strings.TrimSpace(v.GetString("shared.url"))
	if cfg.Limits.MaxMemory, cfg.Limits.MaxMemoryNote, err = parseMaxMemory(v.GetString("limits.max_memory")); err != nil {
		return nil, err
	}
	if cfg.Limits.MaxRuntime, err = parseRuntime(v.GetString("limits.max_runtime")); err != nil {
		return nil, err
	}
	if cfg.Limits.MaxThreads, err = parseCount(v.GetString("limits.max_threads"), "limits.max_threads"); err != nil {
		return nil, err
	}
	maxRecv, err := parseSize(v.GetString("limits.max_recv"), "limits.max_recv")
	if err != nil {
		return nil, err
	}
	if maxRecv == 0 || maxRecv > 256<<20 {
		return nil, fmt.Errorf("config: limits.max_recv %q: want a size from 64 bytes to 256MiB", v.GetString("limits.max_recv"))
	}
	cfg.Limits.MaxRecv = int(maxRecv)
	if cfg.MaxShared, err = parseMaxShared(v.GetString("limits.max_shared"), cfg.Limits.MaxMemory); err != nil {
		return nil, err
	}
	if cfg.Limits.MaxConnections, err = parseCount(v.GetString("limits.max_connections"), "limits.max_connections"); err != nil {
		return nil, err
	}
	for k, val := range v.GetStringMapString("vars") {
		cfg.Vars[strings.ToLower(k)] = val
	}
	for name, val := range environ {
		if k, ok := strings.CutPrefix(name, "SOCKRUN_VARS_"); ok && k != "" {
			cfg.Vars[strings.ToLower(k)] = val
		}
	}
	pairs, _ := flags.GetStringArray("var")
	for _, kv := range pairs {
		k, val, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--var %q: want key=value", kv)
		}
		cfg.Vars[strings.ToLower(k)] = val
	}
	return cfg, nil
}

// parseTimeout reads timeout.default: seconds ("2.5") or a Go duration
// ("1500ms"); empty or "none" is blocking.
func parseTimeout(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "none" || s == "nil" {
		return -1, nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f >= 0 {
		return time.Duration(f * float64(time.Second)), nil
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return d, nil
	}
	return 0, fmt.Errorf("config: timeout.default %q: want seconds (2.5) or a duration (1500ms)", s)
}

// parseBool reads a boolean key: true/false, yes/no, on/off, 1/0.
func parseBool(s, key string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "yes", "on", "1":
		return true, nil
	case "false", "no", "off", "0":
		return false, nil
	}
	return false, fmt.Errorf("config: %s %q: want true or false", key, s)
}

// parseWorkers reads workers: a count from 1, or "auto" for one per CPU.
func parseWorkers(s string) (int, error) {
	s = strings.TrimSpace(s)
	if s == "auto" {
		return runtime.NumCPU(), nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("config: workers %q: want a number from 1, or auto", s)
	}
	return n, nil
}

// Defaults of the limits: generous enough for a benchmark's 10,000
// connections, tight enough that a runaway script stops with a clear
// error before the machine swaps.
const defaultMaxThreads = 100000

// defaultMaxConnections lets a benchmark hold its 10,000 idle connections
// and stops a runaway accept loop long before the descriptor table.
const defaultMaxConnections = 20000

// parseSize reads a byte size: "512MiB", "2G", "1073741824"; "0", "none"
// or "off" is no limit; "auto" is half the machine's memory.
func parseSize(s, key string) (int64, error) {
	s = strings.TrimSpace(strings.ToLower(s))
	switch s {
	case "", "0", "none", "off":
		return 0, nil
	case "auto":
		var si unix.Sysinfo_t
		if unix.Sysinfo(&si) != nil {
			return 0, nil
		}
		return int64(si.Totalram) * int64(si.Unit) / 2, nil
	}
	num := strings.TrimRight(s, "kmgtib ")
	unit := strings.TrimSpace(s[len(num):])
	f, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	mult := map[string]float64{"": 1, "b": 1, "k": 1 << 10, "kb": 1 << 10, "kib": 1 << 10, "m": 1 << 20, "mb": 1 << 20, "mib": 1 << 20,
		"g": 1 << 30, "gb": 1 << 30, "gib": 1 << 30, "t": 1 << 40, "tb": 1 << 40, "tib": 1 << 40}[unit]
	if err != nil || mult == 0 || f < 0 {
		return 0, fmt.Errorf("config: %s %q: want a size (512MiB, 2GiB, bytes), auto or none", key, s)
	}
	return int64(f * mult), nil
}

// parseMaxMemory reads limits.max_memory: a size, none, or auto (half
// the machine's or the cgroup's memory), lowered to what an address-space
// limit (ulimit -v) leaves room for; note says why it is what it is when
// sockrun chose it.
func parseMaxMemory(s string) (limit int64, note string, err error) {
	if strings.TrimSpace(strings.ToLower(s)) == "auto" {
		limit, note = host.AutoMemoryLimit()
	} else if limit, err = parseSize(s, "limits.max_memory"); err != nil {
		return 0, "", err
	}
	limit, note = host.WithinAddressSpace(limit, note)
	return limit, note, nil
}

// parseMaxShared reads limits.max_shared: a size, none, or auto (a
// quarter of maxMemory, limits.max_memory; none without it). A quarter:
// the collector lets the heap reach about twice what is live, and the
// rest of the run needs room too.
func parseMaxShared(s string, maxMemory int64) (int64, error) {
	if strings.TrimSpace(strings.ToLower(s)) == "auto" {
		return maxMemory / 4, nil
	}
	return parseSize(s, "limits.max_shared")
}

// parseCount reads a count from 0 (0: no limit).
func parseCount(s, key string) (int, error) {
	s = strings.TrimSpace(s)
	if s == "none" || s == "off" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("config: %s %q: want a count (0 or none: no limit)", key, s)
	}
	return n, nil
}

// parseRuntime reads limits.max_runtime: seconds or a duration; 0 or
// none is no limit.
func parseRuntime(s string) (time.Duration, error) {
	d, err := parseTimeout(s)
	if err != nil {
		return 0, fmt.Errorf("config: limits.max_runtime %q: want seconds (30) or a duration (1h30m), or none", s)
	}
	return max(d, 0), nil
}
