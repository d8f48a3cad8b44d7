package runner

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/viper"
)

// knownConfigKeys are the config file's keys that sockrun reads, besides
// those bound to a flag (configKeys). A key ending in ".*" stands for a
// section whose keys are free (vars.port) or checked where they are read.
// Add a key here when the runner starts reading it; a key missing here is
// warned about as unknown.
var knownConfigKeys = []string{
	"workers",
	"timeout.default",
	"vars.*",
	"path",
	"trace",
	"trace_file",
	"trace_format",
	"limits.*",
	"luasocket.debug",
	"report",
	"explain",
}

// isKnownConfigKey reports whether sockrun reads key (lower-cased, dotted,
// as viper names it).
func isKnownConfigKey(key string) bool {
	if _, ok := configKeys[key]; ok {
		return true
	}
	return slices.ContainsFunc(knownConfigKeys, func(k string) bool {
		if section, ok := strings.CutSuffix(k, ".*"); ok {
			return key == section || strings.HasPrefix(key, section+".")
		}
		return key == k
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
