/// The two Lua scripts of the Redis edge's reliable queue (see `RedisListIngest`). Scripts run
/// atomically on the server: no other client sees an item half moved.
public enum RedisEdgeScripts {
    /// KEYS: list, processing list, counter, dead-letter list. ARGV: most items, largest item
    /// in bytes, this node's name, most bytes in all. Moves up to that many items from the head
    /// of the list to the tail of the processing list, each stamped `<seq>,<ms>,<item>`
    /// (`QueueStamp`), and returns the stamped entries. An item above the size limit goes to the
    /// dead-letter list instead (its first KiB and the reason), so an oversized push never reaches
    /// the node's memory; an item that would take the batch past the byte budget is put back at
    /// the head for the next take.
    public static let take = """
        local time = redis.call('TIME')
        local ms = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
        local limit = tonumber(ARGV[2])
        local budget = tonumber(ARGV[4])
        local bytes = 0
        local taken = {}
        for i = 1, tonumber(ARGV[1]) do
          local item = redis.call('LPOP', KEYS[1])
          if not item then break end
          if #item <= limit and #taken > 0 and bytes + #item > budget then
            redis.call('LPUSH', KEYS[1], item)
            break
          end
          bytes = bytes + #item
          if #item > limit then
            redis.call('RPUSH', KEYS[4], cjson.encode({
              item = string.sub(item, 1, 1024),
              error = {code = 'too-large', message = 'the item has ' .. #item .. ' bytes; the limit is ' .. limit},
              list = KEYS[1], node = ARGV[3]}))
          else
            local entry = redis.call('INCR', KEYS[3]) .. ',' .. ms .. ',' .. item
            redis.call('RPUSH', KEYS[2], entry)
            taken[#taken + 1] = entry
          end
        end
        return taken
        """

    /// KEYS: processing list, dead-letter list. ARGV: how many entries at the head of the
    /// processing list are done, then the dead letters to push. Both in one step, so a dead
    /// letter is never pushed twice nor an item trimmed without its dead letter.
    public static let finish = """
        for i = 2, #ARGV do redis.call('RPUSH', KEYS[2], ARGV[i]) end
        redis.call('LTRIM', KEYS[1], tonumber(ARGV[1]), -1)
        return 1
        """
}
