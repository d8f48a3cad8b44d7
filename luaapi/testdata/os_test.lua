-- os.date is C's strftime in the C locale (gopher-lua's own gets %a wrong
-- and has no %e); "%c" is Python's time.ctime().

function TestDateCtime(t)
  t:eq(os.date("!%c", 0), "Thu Jan  1 00:00:00 1970", "epoch")
  -- 2026-11-21 07:35:18 UTC, a Saturday: the day is padded with a space
  -- only below 10.
  t:eq(os.date("!%a %b %e %H:%M:%S %Y", 1795246518), "Sat Nov 21 07:35:18 2026", "ctime")
  t:eq(os.date("!%c", 1794641718), "Sat Nov 14 07:35:18 2026", "two-digit day")
  t:eq(os.date("!%c", 1793432118), "Sat Oct 31 07:35:18 2026", "31st")
  t:eq(os.date("!%c", 1791099318), "Sun Oct  4 07:35:18 2026", "one-digit day")
end

function TestDateFormats(t)
  local at = 1795246518 -- Sat 2026-11-21 07:35:18 UTC
  t:eq(os.date("!%A %B %d %j %m %y %Y", at), "Saturday November 21 325 11 26 2026", "names and numbers")
  t:eq(os.date("!%F %T %R %D", at), "2026-11-21 07:35:18 07:35 11/21/26", "composites")
  t:eq(os.date("!%I %p %u %w %%", at), "07 AM 6 6 %", "12-hour clock, weekday numbers")
  t:eq(os.date("!%s", at), tostring(at), "seconds")
end

function TestDateTable(t)
  local d = os.date("!*t", 1795246518)
  t:eq(d.year, 2026, "year")
  t:eq(d.month, 11, "month")
  t:eq(d.day, 21, "day")
  t:eq(d.hour, 7, "hour")
  t:eq(d.min, 35, "min")
  t:eq(d.sec, 18, "sec")
  t:eq(d.wday, 7, "wday (Sunday is 1)")
  t:eq(d.yday, 325, "yday")
  t:eq(type(os.date()), "string", "default format")
end
