-- LuaSocket's own HTTP client (Debian's socket/http.lua) on sockrun.
package.path = vars.lua_path .. ";" .. package.path
local http = require("socket.http")
local ltn12 = require("ltn12")
local body, code, headers = http.request(vars.url .. "/")
print("GET", code, #body, headers["content-type"])
local out = {}
local _, pcode = http.request{
  url = vars.url .. "/echo", method = "POST",
  source = ltn12.source.string("hello from luasocket"),
  headers = {["content-length"] = 20, ["content-type"] = "text/plain"},
  sink = ltn12.sink.table(out),
}
print("POST", pcode, (table.concat(out):match("hello from luasocket")))
local rbody, rcode = http.request(vars.redirect)
print("REDIRECT", rcode, #rbody)
