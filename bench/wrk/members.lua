-- wrk script: POST /v2/images/{id}/members with a fresh (image, account) pair per request, as the Glance
-- harness's add-member workload does for services that only take real accounts as members.
--   wrk ... -s members.lua URL -- IDS_FILE ACCOUNTS_FILE
-- Request n goes to image n mod I with account (n div I) mod A: no pair repeats before I*A requests, and the
-- images fill evenly (each stays under sharing.maxAccountsPerImage while n < I*A).
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")

local ids, accts, counter, hdrs = {}, {}, 0, {}

function init(args)
   for line in io.lines(args[1]) do if #line > 0 then ids[#ids + 1] = line end end
   for line in io.lines(args[2]) do if #line > 0 then accts[#accts + 1] = line end end
   for k, v in pairs(wrk.headers) do hdrs[k] = v end
   hdrs["Content-Type"] = "application/json"
end

function request()
   local n = counter
   counter = counter + 1
   local img = ids[(n % #ids) + 1]
   local acct = accts[(math.floor(n / #ids) % #accts) + 1]
   return wrk.format("POST", "/v2/images/" .. img .. "/members", hdrs,
                     string.format('{"member": "%s"}', acct))
end
