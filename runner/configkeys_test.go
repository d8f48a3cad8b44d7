package runner

import (
	"testing"

	"github.com/spf13/pflag"
)

// TestConfigKeys: every key with a flag gets it, with the key's default,
// and the keys the file may hold are the listed ones and those of a free
// section.
func TestConfigKeys(t *testing.T) {
	fs := pflag.NewFlagSet("sockrun", pflag.ContinueOnError)
	addConfigFlags(fs)
	for _, k := range configKeys {
		if !k.section && k.set == nil {
			t.Errorf("key %s: nothing reads it (no set)", k.name)
		}
		if k.section && k.set != nil {
			t.Errorf("section %s: has a set; its keys are read where they are used", k.name)
		}
		if k.flag == "" {
			continue
		}
		f := fs.Lookup(k.flag)
		if f == nil {
			t.Errorf("key %s: no flag --%s", k.name, k.flag)
			continue
		}
		if def, _ := k.def.(string); def != "" && f.DefValue != def {
			t.Errorf("--%s defaults to %q, key %s to %q", k.flag, f.DefValue, k.name, def)
		}
	}
	for key, known := range map[string]bool{
		"workers": true, "limits.max_recv": true, "vars": true, "vars.port": true, "path": true,
		"luasocket.debug": true, "limits.foo": true, "metrics": true, "timeout": false, "timeout.dfault": false, "wokers": false,
	} {
		if got := isKnownConfigKey(key); got != known {
			t.Errorf("isKnownConfigKey(%q) = %v, want %v", key, got, known)
		}
	}
}
