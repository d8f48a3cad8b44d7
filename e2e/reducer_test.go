package e2e

import (
	"strings"
	"testing"
)

// TestIdleGivesMemoryBack: a script that made tens of megabytes of garbage
// and then goes quiet gets its resident memory back from the memory
// reducer, rather than keeping the garbage's pages for as long as it
// idles. The script watches its own VmRSS.
func TestIdleGivesMemoryBack(t *testing.T) {
	out, stderr, code := runSockrun(t, "", "-e", `
local function rss()
  for line in io.lines("/proc/self/status") do
    local kb = line:match("^VmRSS:%s+(%d+)")
    if kb then return tonumber(kb) * 1024 end
  end
end
local t = {}
for i = 1, 300000 do t[i] = tostring(i):rep(20) end
t = nil
local peak = rss()
for _ = 1, 200 do
  socket.sleep(0.1)
  if rss() < peak - 24 * 2^20 then print("released") return end
end
print(("still %.1f MiB of %.1f MiB"):format(rss() / 2^20, peak / 2^20))`)
	if code != 0 || strings.TrimSpace(out) != "released" {
		t.Errorf("code %d, stdout %q, stderr %q", code, out, stderr)
	}
}
