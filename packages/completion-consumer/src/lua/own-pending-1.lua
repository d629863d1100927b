-- Re-delivers this consumer's own pending entries after ARGV[4], with their delivery counts, skipping the ids
-- this process still holds (handler running, retry scheduled, ack queued): a restarted consumer with a stable
-- name resumes its work at once, and recovery after a lost connection charges no delivery to live work.
-- XPENDING lists the entries without touching them; only the ones re-delivered are XCLAIMed (to this same
-- consumer, which bumps their delivery count like any delivery). Entries deleted from the stream while pending
-- are acknowledged here and reported as lost. Ownership is checked in the same atomic step as the claim, so an
-- entry another consumer took meanwhile is never taken back.
-- KEYS[1] stream
-- ARGV[1] group
-- ARGV[2] consumer
-- ARGV[3] COUNT: most entries to re-deliver
-- ARGV[4] position: '0' for the start, else the last id seen (exclusive)
-- ARGV[5..] ids to skip
-- Returns { { {id, fields}, ... }, { delivery count, ... }, { deleted id, ... }, last id seen or false at the end }.
--- @include "claim-pending"
local count = tonumber(ARGV[3])
local skip, skipped = {}, 0
for i = 5, #ARGV do
  skip[ARGV[i]] = true
  skipped = skipped + 1
end
local start = '-'
if ARGV[4] ~= '0' then start = '(' .. ARGV[4] end
-- Enough rows for COUNT deliveries even when every skipped id is in this page.
local page = redis.call('XPENDING', KEYS[1], ARGV[1], start, '+', count + skipped, ARGV[2])
local want, deleted = {}, {}
local last = false
for _, row in ipairs(page) do
  if #want >= count then break end
  local id = row[1]
  last = id
  if not skip[id] then sortPending(KEYS[1], ARGV[1], id, want, deleted) end
end
-- A short page was the end of the list: no further call is needed.
if #page > 0 and #page < count + skipped and last == page[#page][1] then last = false end
local entries, counts = {}, {}
if #want > 0 then entries, counts = claimWithCounts(KEYS[1], ARGV[1], ARGV[2], 0, want) end
return { entries, counts, deleted, last }
